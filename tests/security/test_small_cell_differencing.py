"""Attack: recover a suppressed small cell of the follow-up report by subtraction. Two referrals at
a hub this month are shown as "<5"; seven there last month are shown. Asking for the two months and
for last month alone (or for the hub in total and for it month by month) and subtracting gave the
two. Every figure must be a sum of cells as shown, so that the difference is nothing but shown
cells. And a period that is not whole months, or longer than 24 of them, is refused with a reason.

Against the referrals and events services over HTTP, on the real broker and PostgreSQL. Referrals
are stamped with the time of their command, so the seven of "last month" are made now and their
request moved back a month in the database, as if time had passed."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hubnet_common.ops.local.identities import partner_tokens
from hubnet_common.ops.local.partners import LocalPartnerClient
from tests.integration.conftest import rows
from tests.integration.referral_steps import accepted, consent, person, ref_of, referral
from tests.integration.served import get, served_alone

pytestmark = pytest.mark.integration
TOKENS = partner_tokens("goteborgs-stad-arbvux")  # the city follows up; any partner may ask
HUB = "hjallbo"
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def months() -> tuple[str, str]:
    """(last month, this month) in Stockholm, "YYYY-MM"."""
    this = datetime.now(UTC).astimezone(STOCKHOLM).date().replace(day=1)
    last = (this - timedelta(days=1)).replace(day=1)
    return f"{last:%Y-%m}", f"{this:%Y-%m}"


@pytest.fixture(scope="module")
async def report(new_database, kafka_bootstrap):
    """The referrals service's URL, with 7 referrals at the hub last month and 2 this month."""
    async with served_alone("referrals", new_database, kafka_bootstrap, "cell") as (url, dsn):
        made = []
        async with LocalPartnerClient(kafka_bootstrap, "bostadsbolaget") as sender:
            for n in range(9):
                given = consent(person(n))
                accepted(await sender.request(given))
                command = referral(given.consent_id, participant_ref=ref_of(person(n)), hub_id=HUB)
                accepted(await sender.request(command))
                made.append(command.referral_id)
        await rows(
            dsn,
            "UPDATE referrals SET requested_at = requested_at - interval '1 month' WHERE id = ANY($1)",
            made[:7],
        )
        yield url


async def sent_at_the_hub(url: str, **params: str) -> int:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    status, answer = await get(url, f"/report?{query}", TOKENS.token())
    assert status == 200, answer
    return sum(row["sent"] or 0 for row in answer["rows"] if row.get("hub", HUB) == HUB)


async def test_two_overlapping_periods_do_not_give_away_a_small_cell(report):
    last, this = months()
    both = await sent_at_the_hub(report, group_by="hub", since=last, until=this)
    last_only = await sent_at_the_hub(report, group_by="hub", since=last, until=last)
    assert last_only == 7
    assert both - last_only == 0, f"the suppressed cell of {this} is recovered: {both} - {last_only}"


async def test_the_hub_in_total_less_its_finest_cells_does_not_give_away_a_small_cell(report):
    last, this = months()
    in_total = await sent_at_the_hub(report, group_by="hub")  # the last 12 months
    _, finest = await get(report, "/report", TOKENS.token())  # per hub, partner, service, month
    shown = {row["month"]: row["sent"] for row in finest["rows"] if row["hub"] == HUB}
    assert shown == {last: 7, this: None}
    assert in_total - shown[last] == 0, f"the suppressed cell of {this} is recovered: {in_total} - {shown[last]}"


@pytest.fixture(scope="module")
async def figures(new_database, kafka_bootstrap):
    async with served_alone("events", new_database, kafka_bootstrap, "cell") as (url, _):
        yield url


@pytest.mark.parametrize(
    ("query", "why"),
    [
        ("since=2020-01&until=2026-12", "longer than 24 months"),
        ("since=1970-01", "longer than 24 months"),
        ("since=2026-03-01&until=2026-03-31", "whole month"),
        ("since=2026-05&until=2026-04", "is after until"),
    ],
)
@pytest.mark.parametrize("path", ["/report", "/figures"])
async def test_a_period_that_is_not_whole_months_or_too_long_is_refused(report, figures, path, query, why):
    status, answer = await get(report if path == "/report" else figures, f"{path}?{query}", TOKENS.token())
    assert status == 400 and answer["code"] == "invalid-period" and why in answer["error"], answer
