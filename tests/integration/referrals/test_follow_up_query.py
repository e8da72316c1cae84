"""Follow-up figures from referrals and their history in PostgreSQL."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import pytest

import hubnet_referrals
from hubnet_common.service.db import migrate
from hubnet_common.service.reporting import period
from hubnet_referrals.adapters.follow_up_query import count_cells
from hubnet_referrals.domain.follow_up import figures, to_csv

pytestmark = pytest.mark.integration
MIGRATIONS = Path(hubnet_referrals.__file__).parent / "migrations"
STOCKHOLM = ZoneInfo("Europe/Stockholm")
FRIDAY = datetime(2026, 3, 6, 10, 0, tzinfo=STOCKHOLM)
MONDAY, TUESDAY = FRIDAY + timedelta(days=3), FRIDAY + timedelta(days=4)
WEDNESDAY, THURSDAY = FRIDAY + timedelta(days=5), FRIDAY + timedelta(days=6)
LATER = FRIDAY + timedelta(days=20)
STATUS = {
    "request": "requested",
    "acknowledge": "received",
    "accept": "accepted",
    "reject": "rejected",
    "start": "in-progress",
    "complete": "completed",
    "reopen": "in-progress",
    "cancel": "cancelled",
    "mark-entered-in-error": "entered-in-error",
}
ACCEPTED_AND_DONE = [("acknowledge", MONDAY), ("accept", WEDNESDAY), ("start", THURSDAY)]


async def add_referral(conn, rid: str, steps: list[tuple], *, hub="hjallbo", at=FRIDAY) -> None:
    """steps: (action, at[, reason code or main activity]) after the request."""
    steps = [("request", at), *steps]
    await conn.execute(
        "INSERT INTO referrals (id, sender_partner_id, receiver_partner_id, service_id, hub_id, participant_ref,"
        " purpose, status, version, requested_at) VALUES ($1, 'bostadsbolaget', 'brg', 'brg-job', $2, $3, 'work',"
        " $4, $5, $6)",
        rid,
        hub,
        f"p-{rid}",
        STATUS[steps[-1][0]],
        len(steps),
        at,
    )
    await conn.executemany(
        "INSERT INTO referral_history (referral_id, version, action, status, actor_partner_id, at, reason_code,"
        " main_activity) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        [
            (
                rid,
                version,
                action,
                STATUS[action],
                "bostadsbolaget" if action in ("request", "cancel") else "brg",
                when,
                detail[0] if detail and action != "complete" else None,
                detail[0] if detail and action == "complete" else None,
            )
            for version, (action, when, *detail) in enumerate(steps, start=1)
        ],
    )


@pytest.fixture(scope="module")
async def dsn(new_database):
    dsn = await new_database("followup")
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn, MIGRATIONS)
        await conn.execute(
            "INSERT INTO partners (id, name) VALUES ('bostadsbolaget', 'Bostadsbolaget'), ('brg', 'BRG')"
        )
        await conn.execute("INSERT INTO hubs (id, name) VALUES ('hjallbo', 'Hjällbo'), ('angered', 'Angered')")
        await conn.execute("INSERT INTO services (id, partner_id, name) VALUES ('brg-job', 'brg', 'Jobbspår')")
        # Hjällbo, March: four completed to work, one completed, reopened and completed again ...
        for n in range(4):
            await add_referral(conn, f"done-{n}", [*ACCEPTED_AND_DONE, ("complete", LATER, "work")])
        await add_referral(
            conn,
            "again",
            [
                *ACCEPTED_AND_DONE,
                ("complete", LATER, "job-seeking"),
                ("reopen", LATER + timedelta(days=1)),
                ("complete", LATER + timedelta(days=9), "work"),
            ],
        )
        # ... two rejected for lack of capacity, one made by mistake ...
        for n in range(2):
            await add_referral(conn, f"no-room-{n}", [("acknowledge", TUESDAY), ("reject", THURSDAY, "no-capacity")])
        await add_referral(
            conn,
            "mistake",
            [("acknowledge", MONDAY), ("reject", TUESDAY, "not-eligible"), ("mark-entered-in-error", WEDNESDAY)],
        )
        # ... and one in February. Angered: one cancelled, two waiting (one requested on 1 March at 00:30).
        await add_referral(conn, "february", [], at=datetime(2026, 2, 10, 9, tzinfo=STOCKHOLM))
        await add_referral(conn, "cancelled", [("cancel", MONDAY, "no-longer-interested")], hub="angered")
        await add_referral(conn, "waiting", [], hub="angered")
        await add_referral(conn, "midnight", [], hub="angered", at=datetime(2026, 2, 28, 23, 30, tzinfo=UTC))
    finally:
        await conn.close()
    return dsn


async def cells(dsn, since="2026-01", until="2026-12"):
    conn = await asyncpg.connect(dsn)
    try:
        return await count_cells(conn, period(since, until, today=date(2026, 12, 1)), today=date(2026, 12, 1))
    finally:
        await conn.close()


async def test_the_cells_are_counted_from_the_history_of_every_referral(dsn):
    found = {cell.keys: cell for cell in await cells(dsn)}
    assert sorted(found) == [
        ("angered", "brg", "brg-job", "2026-03"),
        ("hjallbo", "brg", "brg-job", "2026-02"),
        ("hjallbo", "brg", "brg-job", "2026-03"),
    ]
    march = found["hjallbo", "brg", "brg-job", "2026-03"]
    assert march.counts["sent"] == 7  # not the one entered in error
    assert march.counts["outcome.work"] == 5 and "outcome.job-seeking" not in march.counts  # the latest outcome
    assert march.counts["rejected.no-capacity"] == 2 and "rejected.not-eligible" not in march.counts
    assert march.days["median_days_to_acknowledge"] == {1: 5, 2: 2}
    assert march.days["median_days_to_answer"] == {2: 7}
    angered = found["angered", "brg", "brg-job", "2026-03"]
    assert angered.counts == {"sent": 3, "cancelled": 1}  # "midnight" is March in Stockholm
    assert angered.days == {}


async def test_figures_per_hub_partner_service_and_month_with_small_cells_suppressed(dsn):
    rows = {(r.hub, r.partner, r.service, r.month): r.figures for r in figures(await cells(dsn))}
    march = rows["hjallbo", "brg", "brg-job", "2026-03"]
    assert march["sent"] == 7 and march["acknowledged"] == 7 and march["accepted"] == 5
    assert march["rejected"] is None and march["rejected.no-capacity"] is None
    assert march["rejected.not-eligible"] == 0  # only the referral entered in error had it
    assert march["completed"] == 5 and march["outcome.work"] == 5 and march["outcome.job-seeking"] == 0
    assert march["failed"] == 0 and march["cancelled"] == 0
    # Acknowledged Monday (1 working day) x5, Tuesday (2) x2; answered 2 working days later, all of them.
    assert march["median_days_to_acknowledge"] == 1.0 and march["median_days_to_answer"] == 2.0
    angered = rows["angered", "brg", "brg-job", "2026-03"]
    assert angered["sent"] is None and angered["cancelled"] is None and angered["acknowledged"] == 0
    assert angered["median_days_to_acknowledge"] is None
    assert rows["hjallbo", "brg", "brg-job", "2026-02"]["sent"] is None


async def test_coarser_figures_add_up_the_finest_cells_as_shown(dsn):
    found = await cells(dsn)
    by_hub = {r.hub: r.figures for r in figures(found, group_by=("hub",))}
    assert by_hub["hjallbo"]["sent"] == 7 and by_hub["hjallbo"]["cells_suppressed"] == 1  # February's one left out
    assert by_hub["angered"]["sent"] == 0 and by_hub["angered"]["cells_suppressed"] == 1
    [total] = figures(found, group_by=())
    assert total.hub is None and total.month is None
    assert total.figures["sent"] == 7 and total.figures["cancelled"] == 0 and total.figures["rejected"] == 0
    by_month = {r.month: r.figures["sent"] for r in figures(found, group_by=("month",))}
    assert by_month == {"2026-02": 0, "2026-03": 7}
    assert to_csv([total]).splitlines()[1].startswith(",,,,7,7,5,0,")


async def test_referrals_are_chosen_by_the_stockholm_month_of_the_request(dsn):
    assert {cell.month for cell in await cells(dsn, since="2026-03", until="2026-03")} == {"2026-03"}
    [february] = await cells(dsn, since="2026-02", until="2026-02")
    assert february.keys == ("hjallbo", "brg", "brg-job", "2026-02") and february.counts == {"sent": 1}
    assert await cells(dsn, since="2026-04", until="2026-05") == []
