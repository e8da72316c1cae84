"""The referrals service's command handling, through its bootstrap with in-memory fakes."""

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.errors import Refused
from hubnet_common.sdk.identity import partner_source
from hubnet_common.sdk.keys import generate
from hubnet_common.sdk.messages.audit import MessageRejected
from hubnet_common.sdk.messages.referral_commands import CreateReferral
from hubnet_common.sdk.messages.referral_events import ReferralRequested
from hubnet_common.sdk.messages.replies import CommandAccepted, CommandRejected
from hubnet_common.sdk.messages.vocabulary import ConsentMethod, Purpose
from hubnet_common.sdk.signing import Signer
from hubnet_common.service.processing import Processor, Record
from hubnet_common.testing.deadletter import CollectedDeadLetters
from hubnet_referrals import bootstrap
from hubnet_referrals.domain.consent import Consent
from hubnet_referrals.settings import ReferralSettings
from tests.unit.common.fakes.network import network_verifier, signed
from tests.unit.common.fakes.referrals import FakeReferralsUnitOfWork

REF = "ab" * 32


@pytest.fixture
async def uow():
    fake = FakeReferralsUnitOfWork()
    await fake.seed_network()
    await fake.consents.add(
        Consent(
            id="C-1",
            participant_ref=REF,
            partner_ids=("brg", "goteborgs-stad-arbvux"),
            purposes=(Purpose.OWN_BUSINESS, Purpose.STUDIES),
            method=ConsentMethod.WRITTEN,
            noted_by="Amina Hassan",
            recorded_by_partner_id="bostadsbolaget",
            given_at=datetime.now(UTC) - timedelta(days=30),
            valid_until=datetime.now(UTC) + timedelta(days=365),
        )
    )
    return fake


@pytest.fixture
def dead_letters():
    return CollectedDeadLetters()


@pytest.fixture
def processor(uow, dead_letters):
    spec = bootstrap.spec(ReferralSettings(), uow_factory=lambda _pool: lambda: uow)
    [route] = spec.routes
    return Processor(
        route=route,
        consumer_group="g",
        uow_factory=spec.uow_factory(None),
        dead_letters=dead_letters,
        verifier=network_verifier(),
    )


def record(body: bytes, *, partner="bostadsbolaget", type_=CreateReferral.ce_type, headers=None, offset=0):
    envelope = Envelope.new(type=type_, source=partner_source(partner), subject="R-1")
    unsigned = Record("referral.commands.v1", 0, offset, b"R-1", body, tuple(headers or envelope.to_headers()))
    return signed(unsigned, by=f"partner-{partner}")


def create(**overrides) -> bytes:
    fields = dict(
        referral_id="R-1",
        service_id="brg-business-coaching",
        hub_id="hjallbo",
        participant_ref=REF,
        purpose="own-business",
        consent_id="C-1",
    )
    return json.dumps({**fields, **overrides}).encode()


def published(uow, model):
    return [model.model_validate_json(o.body) for o in uow.committed if o.envelope.type == model.ce_type]


async def test_a_referral_is_stored_announced_and_accepted(processor, uow):
    assert await processor.process(record(create())) == "accepted"
    referral = uow.referrals.by_id["R-1"]
    assert (referral.status, referral.sender_partner_id, referral.receiver_partner_id) == (
        "requested",
        "bostadsbolaget",
        "brg",
    )
    [fact] = published(uow, ReferralRequested)
    assert fact.receiver_partner_id == "brg" and fact.version == 1
    [reply] = published(uow, CommandAccepted)
    assert reply.aggregate_id == "R-1" and reply.recipient == partner_source("bostadsbolaget")
    assert {o.key for o in uow.committed} == {"R-1"}


async def test_the_same_command_delivered_twice_has_one_effect(processor, uow):
    same = record(create())
    assert await processor.process(same) == "accepted"
    assert await processor.process(same) == "duplicate"
    assert len(published(uow, ReferralRequested)) == 1
    assert len(published(uow, CommandAccepted)) == 1


@pytest.mark.parametrize(
    ("body", "partner", "code"),
    [
        (create(service_id="no-such-service"), "bostadsbolaget", "service-unknown"),
        (create(hub_id="bergsjon", service_id="bostadsbolaget-local-jobs"), "brg", "service-not-at-hub"),
        (create(consent_id="C-none"), "bostadsbolaget", "consent-missing"),
        (create(purpose="work"), "bostadsbolaget", "consent-missing"),
        (create(service_id="stadsmissionen-job-coaching"), "bostadsbolaget", "consent-missing"),
        (create(service_id="stadsmissionen-work-training", hub_id="tynnered"), "bostadsbolaget", "service-full"),
    ],
)
async def test_a_command_that_breaks_a_rule_is_refused_and_changes_nothing(processor, uow, body, partner, code):
    assert await processor.process(record(body, partner=partner)) == "refused"
    assert uow.referrals.by_id == {}
    [reply] = published(uow, CommandRejected)
    assert reply.code == code and reply.reason
    assert published(uow, ReferralRequested) == []


async def test_a_command_from_no_partner_of_the_network_is_refused_and_not_answered(processor, uow, dead_letters):
    """No key of the network signed it; and there is no replies topic only such a sender could read,
    so the refusal stays in the dead letters and the audit."""
    stranger = Signer(generate("ed25519").private)
    envelope = Envelope.new(type=CreateReferral.ce_type, source=partner_source("not-a-partner"), subject="R-1")
    unsigned = Record("referral.commands.v1", 0, 0, b"R-1", create(), tuple(envelope.to_headers()))
    signed_by_stranger = replace(
        unsigned, headers=tuple(stranger.sign(unsigned.topic, b"R-1", envelope.to_headers(), create()))
    )
    assert await processor.process(signed_by_stranger) == "dead-lettered"
    assert [code for _, code, _ in dead_letters.sent] == ["unknown-key"]
    assert uow.referrals.by_id == {}
    assert published(uow, CommandRejected) == [] and published(uow, ReferralRequested) == []
    [audit] = published(uow, MessageRejected)
    assert (audit.code, audit.claimed_source) == ("unknown-key", partner_source("not-a-partner"))


async def test_a_suspended_partners_command_is_refused_whatever_key_signed_it(processor, uow):
    uow.directory.partners["bostadsbolaget"] = uow.directory.partners["bostadsbolaget"].standing("suspended")
    assert await processor.process(record(create())) == "refused"
    [reply] = published(uow, CommandRejected)
    assert reply.code == "partner-suspended" and reply.recipient == partner_source("bostadsbolaget")
    assert [o.topic for o in uow.committed if o.envelope.type == CommandRejected.ce_type] == [
        "partner.bostadsbolaget.replies.v1"
    ]
    assert uow.referrals.by_id == {} and published(uow, ReferralRequested) == []


async def test_a_removed_partners_command_is_refused_and_not_answered(processor, uow):
    uow.directory.partners["bostadsbolaget"] = uow.directory.partners["bostadsbolaget"].standing("removed")
    assert await processor.process(record(create())) == "refused"
    assert published(uow, CommandRejected) == [] and uow.referrals.by_id == {}
    resumed = uow.directory.partners["bostadsbolaget"]
    with pytest.raises(Refused, match="removed"):
        resumed.standing("active")


async def test_a_second_referral_with_a_taken_id_is_refused(processor, uow):
    await processor.process(record(create(), offset=0))
    assert await processor.process(record(create(), offset=1)) == "refused"
    assert published(uow, CommandRejected)[0].code == "referral-exists"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{not json", "(body)"),
        (create(participant_ref="19900101-0017"), "participant_ref"),  # a personnummer is never accepted
        (json.dumps({"service_id": "brg-business-coaching"}).encode(), "hub_id"),
        (create(unexpected="x"), "unexpected"),
    ],
)
async def test_a_malformed_command_gets_a_rejection_naming_what_is_wrong(processor, uow, dead_letters, body, field):
    assert await processor.process(record(body)) == "dead-lettered"
    [reply] = published(uow, CommandRejected)
    assert reply.code == "invalid-body"
    assert field in {e.field for e in reply.errors}
    [(kept, code, _)] = dead_letters.sent  # and kept for the operators, as it came
    assert code == "invalid-body" and kept.value == body
    assert uow.referrals.by_id == {}


async def test_a_huge_command_is_dead_lettered_unread_and_answered(processor, uow, dead_letters):
    huge = json.dumps({"service_id": "brg-business-coaching", "note": "x" * 600_000}).encode()
    assert await processor.process(record(huge)) == "dead-lettered"
    [reply] = published(uow, CommandRejected)
    assert reply.code == "too-large" and "bytes" in reply.reason
    assert [code for _, code, _ in dead_letters.sent] == ["too-large"]


async def test_a_record_with_only_its_sender_in_cloudevents_headers_is_dead_lettered_and_answered(
    processor, uow, dead_letters
):
    sender = (("ce_source", partner_source("brg").encode()),)
    outcome = await processor.process(Record("referral.commands.v1", 2, 41, b"R-9", create(), sender))
    assert outcome == "dead-lettered"
    [(_, code, reason)] = [(r, c, why) for r, c, why in dead_letters.sent]
    assert code == "invalid-envelope" and "ce_id" in reason
    [reply] = published(uow, CommandRejected)
    assert reply.command_id == "referral.commands.v1/2/41" and reply.aggregate_id == "R-9"
    assert [o.topic for o in uow.committed if o.envelope.type == CommandRejected.ce_type] == ["partner.brg.replies.v1"]


async def test_an_unknown_type_is_dead_lettered(processor, dead_letters):
    assert await processor.process(record(create(), type_="se.hubnet.referral.teleport.v1")) == "dead-lettered"
    assert dead_letters.sent[0][1] == "unknown-type"


async def test_a_command_whose_handler_keeps_failing_is_dead_lettered_and_answered(uow, dead_letters):
    async def broken(*_args):
        raise KeyError("a bug")

    spec = bootstrap.spec(ReferralSettings(), uow_factory=lambda _pool: lambda: uow)
    [route] = spec.routes
    route = type(route)(route.topic, {**route.handlers, CreateReferral: broken}, route.answers)
    failing = Processor(
        route=route,
        consumer_group="g",
        uow_factory=spec.uow_factory(None),
        dead_letters=dead_letters,
        verifier=network_verifier(),
        max_backoff=0.01,
    )
    assert await failing.process(record(create())) == "dead-lettered"
    assert dead_letters.sent[0][1] == "handler-error"
    [reply] = published(uow, CommandRejected)
    assert reply.code == "processing-failed" and uow.referrals.by_id == {}


async def test_in_a_batch_a_refused_command_undoes_only_itself(processor, uow):
    outcomes = await processor.process_batch(
        [
            record(create(referral_id="R-1"), offset=0),
            record(create(referral_id="R-1"), offset=1),  # the id is taken by the record before it
            record(create(referral_id="R-3"), offset=2),
        ]
    )
    assert outcomes == ["accepted", "refused", "accepted"]
    assert set(uow.referrals.by_id) == {"R-1", "R-3"}
    assert [fact.referral_id for fact in published(uow, ReferralRequested)] == ["R-1", "R-3"]
    assert [answer.code for answer in published(uow, CommandRejected)] == ["referral-exists"]
    assert len(published(uow, CommandAccepted)) == 2
