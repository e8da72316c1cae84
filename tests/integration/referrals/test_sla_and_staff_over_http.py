"""What the referral's parties read over HTTP of its SLA clocks and of who took each step: the
due dates in Swedish working days, overdue ones counted in working days passed, and the staff
member each partner named (`noted_by`)."""

from datetime import UTC, datetime, timedelta

import pytest

from hubnet_common.ops.local.identities import partner_tokens
from hubnet_common.sdk.messages import referral_commands as c
from hubnet_common.sdk.messages.vocabulary import MainActivity
from hubnet_referrals.domain.working_days import working_days_between
from tests.integration.conftest import rows
from tests.integration.referral_steps import accepted, new_referral, sealed_for
from tests.integration.served import get, served_alone

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def referrals(new_database, kafka_bootstrap):
    async with served_alone("referrals", new_database, kafka_bootstrap, "it") as served:
        yield served


async def listed(url: str, referral_id: str) -> dict:
    status, answer = await get(url, "/referrals?role=receiver", partner_tokens("brg").token())
    assert status == 200
    return next(r for r in answer if r["id"] == referral_id)


async def test_the_receiver_reads_the_deadlines_and_how_late_it_is(referrals, partner):
    url, dsn = referrals
    async with partner("bostadsbolaget") as sender, partner("brg") as receiver:
        rid = (await new_referral(sender)).referral_id
        fresh = (await listed(url, rid))["sla"]
        assert fresh["kind"] == "acknowledge" and fresh["working_days_left"] in (1, 2)  # two working days
        accepted(await receiver.request(c.AcknowledgeReferral(referral_id=rid, noted_by="brg-anna")))

    # As if it had been acknowledged a month ago: the answer is overdue by working days.
    month_ago = "now() - interval '30 days'"
    await rows(dsn, f"UPDATE referral_history SET at = {month_ago} WHERE referral_id = $1 AND version = 2", rid)
    [acked] = await rows(dsn, "SELECT at FROM referral_history WHERE referral_id = $1 AND version = 2", rid)
    late = (await listed(url, rid))["sla"]
    assert late["kind"] == "answer"
    late_due = datetime.fromisoformat(late["due_at"])
    # A deadline is the local midnight after its last day: lateness counts from that day.
    expected_late = working_days_between(late_due - timedelta(microseconds=1), datetime.now(UTC))
    assert late["working_days_left"] == -expected_late and expected_late >= 15
    assert late_due > acked["at"]

    status, page = await get(url, f"/referral?id={rid}", partner_tokens("brg").token())
    assert status == 200
    ack, answer = page["clocks"]
    assert (ack["kind"], ack["met"], ack["working_days_left"]) == ("acknowledge", True, None)
    assert (answer["kind"], answer["met"], answer["working_days_left"]) == ("answer", None, -expected_late)
    assert page["sla"] == answer


async def test_each_step_keeps_the_staff_member_its_partner_named(referrals, partner):
    url, dsn = referrals
    async with partner("bostadsbolaget") as sender, partner("brg") as receiver:
        rid = (await new_referral(sender)).referral_id
        for step in (
            c.AcknowledgeReferral(referral_id=rid, noted_by="brg-anna"),
            c.AcceptReferral(referral_id=rid),  # a partner system that names nobody
            c.StartReferral(referral_id=rid, noted_by="brg-anna"),
            c.CompleteReferral(
                referral_id=rid, noted_by="brg-omar", outcome=c.OutcomeReport(main_activity=MainActivity.OWN_BUSINESS)
            ),
            c.ReopenReferral(referral_id=rid, noted_by="brg-omar", note=await sealed_for(dsn, "ended by mistake")),
        ):
            accepted(await receiver.request(step))
    for who in ("brg", "bostadsbolaget"):  # both parties read who it was
        status, page = await get(url, f"/referral?id={rid}", partner_tokens(who).token())
        assert status == 200
        history = [(h["action"], h["noted_by"]) for h in page["history"]]
        assert history == [
            ("request", None),
            ("acknowledge", "brg-anna"),
            ("accept", None),
            ("start", "brg-anna"),
            ("complete", "brg-omar"),
            ("reopen", "brg-omar"),
        ]
        assert page["status"] == "in-progress" and "ended by mistake" not in str(page)  # the note stays sealed


async def test_the_list_comes_a_page_at_a_time_filtered_by_status_hub_and_service(referrals, partner):
    url, _ = referrals
    async with partner("bostadsbolaget") as sender, partner("brg") as receiver:
        ids = [(await new_referral(sender)).referral_id for _ in range(3)]
        accepted(await receiver.request(c.AcknowledgeReferral(referral_id=ids[0])))
    token = partner_tokens("brg").token()

    async def listed_ids(query: str) -> list[str]:
        status, answer = await get(url, f"/referrals?role=receiver&{query}", token)
        assert status == 200, answer
        return [r["id"] for r in answer if r["id"] in ids]

    newest_first = ids[::-1]
    assert await listed_ids("limit=200") == newest_first
    pages = [await listed_ids(f"limit=1&offset={n}") for n in range(3)]  # nothing else came since
    assert pages == [[newest_first[0]], [newest_first[1]], [newest_first[2]]]
    assert await listed_ids("status=received") == [ids[0]]
    assert await listed_ids("hub=hjallbo&service=brg-business-coaching") == newest_first
    assert await listed_ids("hub=angered") == []
    assert (await get(url, "/referrals?limit=201", token))[0] == 422
