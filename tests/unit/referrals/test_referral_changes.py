"""Lifecycle commands after creation, through the referrals service's bootstrap with in-memory fakes:
what each stores and publishes, and how the SLA clocks move (DESIGN §4)."""

import json
from datetime import datetime

from hubnet_common.sdk.messages.outcome_events import OutcomeRecorded
from hubnet_common.sdk.messages.referral_commands import (
    AcceptReferral,
    AcknowledgeReferral,
    CompleteReferral,
    StartReferral,
)
from hubnet_common.sdk.messages.referral_events import ReferralAccepted, ReferralCompleted, ReferralReceived
from hubnet_common.sdk.messages.replies import CommandRejected
from hubnet_referrals.domain.working_days import add_working_days
from tests.unit.referrals.test_referral_commands import create, dead_letters, processor, published, record, uow  # noqa: F401


def command(model, *, offset: int, **fields) -> bytes:
    return record(
        json.dumps({"referral_id": "R-1", **fields}).encode(), partner="brg", type_=model.ce_type, offset=offset
    )


async def test_acknowledging_stops_the_acknowledge_clock_and_starts_the_answer_clock(processor, uow):
    assert await processor.process(record(create())) == "accepted"
    assert set(uow.sla.running) == {("R-1", "acknowledge")}

    assert await processor.process(command(AcknowledgeReferral, offset=1, expected_version=1)) == "accepted"
    referral = uow.referrals.by_id["R-1"]
    assert (referral.status, referral.version) == ("received", 2)
    [clock] = uow.sla.running.values()
    acknowledged_at = referral.history[-1].at
    # brg-business-coaching answers within 5 working days
    assert (clock.kind, clock.due_at) == ("answer", add_working_days(acknowledged_at, 5))
    [fact] = published(uow, ReferralReceived)
    assert (fact.version, fact.actor_partner_id, fact.answer_due_at) == (2, "brg", clock.due_at)


async def test_accepting_stops_every_clock_and_a_completion_publishes_the_outcome(processor, uow):
    await processor.process(record(create()))
    await processor.process(command(AcknowledgeReferral, offset=1))
    assert await processor.process(command(AcceptReferral, offset=2)) == "accepted"
    assert uow.sla.running == {}
    [accepted] = published(uow, ReferralAccepted)
    assert (accepted.status, accepted.version) == ("accepted", 3)

    await processor.process(command(StartReferral, offset=3))
    outcome = {"main_activity": "own-business", "public_support_continues": False}
    assert await processor.process(command(CompleteReferral, offset=4, outcome=outcome)) == "accepted"
    [completed] = published(uow, ReferralCompleted)
    assert (completed.status, completed.main_activity, completed.public_support_continues) == (
        "completed",
        "own-business",
        False,
    )
    [recorded] = published(uow, OutcomeRecorded)
    referral = uow.referrals.by_id["R-1"]
    assert (recorded.referral_id, recorded.referral_version, recorded.main_activity, recorded.hub_id) == (
        "R-1",
        5,
        "own-business",
        "hjallbo",
    )
    assert (recorded.requested_at, recorded.completed_at) == (referral.requested_at, referral.history[-1].at)
    assert isinstance(recorded.completed_at, datetime)


async def test_a_change_to_a_referral_nobody_made_is_refused_as_unknown(processor, uow):
    assert await processor.process(command(AcceptReferral, offset=0, referral_id="R-none")) == "refused"
    [reply] = published(uow, CommandRejected)
    assert reply.code == "referral-unknown"


async def test_a_change_on_a_stale_version_is_refused_and_changes_nothing(processor, uow):
    await processor.process(record(create()))
    assert await processor.process(command(AcknowledgeReferral, offset=1, expected_version=2)) == "refused"
    [reply] = published(uow, CommandRejected)
    assert reply.code == "stale-version"
    assert uow.referrals.by_id["R-1"].status == "requested"
    assert set(uow.sla.running) == {("R-1", "acknowledge")}


async def test_a_step_keeps_the_staff_member_its_partner_named_and_none_when_it_named_nobody(processor, uow):
    await processor.process(record(create()))
    assert await processor.process(command(AcknowledgeReferral, offset=1, noted_by="brg-lena")) == "accepted"
    assert await processor.process(command(AcceptReferral, offset=2)) == "accepted"
    history = uow.referrals.by_id["R-1"].history
    assert [(t.action.value, t.noted_by) for t in history] == [
        ("request", None),
        ("acknowledge", "brg-lena"),
        ("accept", None),
    ]
