"""Whatever arrives on a command topic, the processor neither crashes nor drops it: garbage is
dead-lettered with its reason and its sender, when it names a partner, gets a rejection on its own
replies topic."""

import asyncio

import pytest
from hypothesis import HealthCheck, given, settings

from faults.garbage import KINDS, REASONS, fuzzed_commands, garbage, signed_if_possible
from hubnet_common.sdk.envelope import readable
from hubnet_common.sdk.messages.replies import CommandAccepted, CommandRejected
from hubnet_common.service.processing import Record
from hubnet_common.testing.deadletter import CollectedDeadLetters
from tests.unit.common.fakes.network import signer
from tests.unit.common.fakes.referrals import FakeReferralsUnitOfWork, referrals_processor

KEY = "R-bad-1"


async def process(body: bytes, headers, offset: int = 0) -> tuple[str, CollectedDeadLetters, FakeReferralsUnitOfWork]:
    processor, uow, dead = await referrals_processor()
    outcome = await processor.process(Record("referral.commands.v1", 0, offset, KEY.encode(), body, tuple(headers)))
    return outcome, dead, uow


def replies(uow) -> list[str]:
    return [
        o.envelope.type for o in uow.committed if o.envelope.type in (CommandAccepted.ce_type, CommandRejected.ce_type)
    ]


# Garbage whose ce_source cannot be read names no partner: there is no replies topic to answer it on.
SENDER_UNKNOWN = {"no-headers", "invalid-utf8-header"}


@pytest.mark.parametrize("kind", KINDS)
async def test_each_kind_of_garbage_is_dead_lettered_with_its_reason_and_answered(kind):
    body, headers = garbage(kind, KEY, signer("partner-bostadsbolaget"), signer("partner-brg"))
    outcome, dead, uow = await process(body, headers, offset=11)
    assert outcome == "dead-lettered"
    [(kept, reason, detail)] = dead.sent
    assert reason == REASONS[kind] and detail
    assert (kept.value, kept.key, kept.offset, kept.headers) == (body, KEY.encode(), 11, tuple(headers))  # as it came
    assert replies(uow) == ([] if kind in SENDER_UNKNOWN else [CommandRejected.ce_type])
    assert all(
        o.topic == "partner.bostadsbolaget.replies.v1"
        for o in uow.committed
        if o.envelope.type == CommandRejected.ce_type
    )
    assert uow.referrals.by_id == {}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(fuzzed_commands())
def test_fuzzed_commands_are_dead_lettered_never_crash_and_change_nothing(command):
    body, headers = command
    outcome, dead, uow = asyncio.run(
        process(body, signed_if_possible(signer("partner-bostadsbolaget"), KEY, body, headers))
    )
    assert outcome == "dead-lettered"
    assert len(dead.sent) == 1 and dead.sent[0][1] in {
        "invalid-envelope",
        "unknown-type",
        "invalid-body",
        "unsigned",
        "bad-signature",
        "source-mismatch",
        "replay",
    }
    assert len(replies(uow)) <= 1
    assert uow.referrals.by_id == {}
    stored = [ce_id for _, ce_id in uow.inbox] + [text for o in uow.committed for text in (o.key, o.envelope.id)]
    assert all(readable(text) == text for text in stored)  # nothing PostgreSQL would refuse to store
