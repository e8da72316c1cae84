"""Follow-up figures from referrals and their history in PostgreSQL."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import pytest

import hubnet_referrals
from hubnet_common.service.db import migrate
from hubnet_referrals.adapters.follow_up_query import load_records
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


async def records(dsn, **bounds):
    conn = await asyncpg.connect(dsn)
    try:
        return await load_records(conn, **bounds)
    finally:
        await conn.close()


async def test_records_are_derived_from_the_history_of_every_referral(dsn):
    loaded = {r.referral_id: r for r in await records(dsn)}
    assert len(loaded) == 12
    again = loaded["again"]
    assert again.status == "completed" and again.main_activity == "work" and again.answer == "accept"
    assert again.acknowledged_at == MONDAY and again.answered_at == WEDNESDAY
    assert loaded["no-room-0"].reject_reason == "no-capacity" and loaded["no-room-0"].answer == "reject"
    assert loaded["mistake"].status == "entered-in-error"
    assert loaded["waiting"].acknowledged_at is None and loaded["waiting"].answer is None
    assert loaded["midnight"].month == "2026-03"


async def test_figures_per_hub_partner_service_and_month_with_small_cells_suppressed(dsn):
    rows = {(r.hub, r.partner, r.service, r.month): r.figures for r in figures(await records(dsn))}
    assert sorted(rows) == [
        ("angered", "brg", "brg-job", "2026-03"),
        ("hjallbo", "brg", "brg-job", "2026-02"),
        ("hjallbo", "brg", "brg-job", "2026-03"),
    ]
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


async def test_figures_over_all_months_and_all_hubs(dsn):
    loaded = await records(dsn)
    by_hub = {r.hub: r.figures for r in figures(loaded, group_by=("hub",))}
    assert by_hub["hjallbo"]["sent"] == 8 and by_hub["angered"]["sent"] is None
    total = figures(loaded, group_by=())
    assert len(total) == 1 and total[0].hub is None and total[0].month is None
    assert total[0].figures["sent"] == 11 and total[0].figures["cancelled"] is None
    by_month = {r.month: r.figures["sent"] for r in figures(loaded, group_by=("month",))}
    assert by_month == {"2026-02": None, "2026-03": 10}
    lines = to_csv(total).splitlines()
    assert lines[1].startswith(",,,,11,7,5,<5,")


async def test_records_are_chosen_by_the_stockholm_date_of_the_request(dsn):
    march = {r.referral_id for r in await records(dsn, since=date(2026, 3, 1))}
    assert "midnight" in march and "february" not in march and len(march) == 11  # incl. "mistake"
    february = {r.referral_id for r in await records(dsn, since=date(2026, 2, 1), until=date(2026, 2, 28))}
    assert february == {"february"}
    assert {r.referral_id for r in await records(dsn, until=date(2026, 3, 1))} == {"february", "midnight"}
    assert await records(dsn, since=date(2026, 4, 1)) == []
