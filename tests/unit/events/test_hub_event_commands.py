"""The events service's command handling, through its bootstrap with in-memory fakes."""

from datetime import UTC, datetime, timedelta

import pytest

from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.identity import partner_source
from hubnet_common.sdk.messages.directory import HubUpserted, PartnerUpserted
from hubnet_common.sdk.messages.hubevent_commands import ScheduleHubEvent
from hubnet_common.sdk.messages.hubevent_events import HubEventScheduled, WaitlistPromoted
from hubnet_common.sdk.messages.referral_events import ParticipantErased, ReferralRequested
from hubnet_common.sdk.messages.replies import CommandRejected
from hubnet_common.service.processing import Processor, Record
from hubnet_common.testing.deadletter import CollectedDeadLetters
from hubnet_events import bootstrap
from hubnet_events.domain.occurrence import Occurrence
from tests.unit.common.fakes.events import FakeEventsUnitOfWork
from tests.unit.common.fakes.network import network_verifier, signed

STARTS = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)


@pytest.fixture
async def uow():
    fake = FakeEventsUnitOfWork()
    await fake.directory.keep_hub(HubUpserted(hub_id="bergsjon", name="Bergsjön"))
    await fake.directory.keep_partner(PartnerUpserted(partner_id="familjebostader", name="Familjebostäder"))
    return fake


@pytest.fixture
def processor(uow):
    spec = bootstrap.spec(uow_factory=lambda _pool: lambda: uow)
    route = next(r for r in spec.routes if r.topic == "hubevent.commands.v1")
    return Processor(
        route=route,
        consumer_group="g",
        uow_factory=spec.uow_factory(None),
        dead_letters=CollectedDeadLetters(),
        verifier=network_verifier(),
    )


def command(partner: str, **overrides) -> Record:
    body = ScheduleHubEvent(
        **{
            "hub_event_id": "E-1",
            "hub_id": "bergsjon",
            "kind": "pop-up",
            "title": "Pop-up",
            "starts_at": STARTS,
            "ends_at": STARTS + timedelta(hours=3),
            "capacity": 20,
            **overrides,
        }
    )
    envelope = Envelope.new(type=body.ce_type, source=partner_source(partner), subject=body.hub_event_id)
    return signed(
        Record(body.topic, 0, 0, b"E-1", body.model_dump_json().encode(), tuple(envelope.to_headers())),
        by=f"partner-{partner}",
    )


def published(uow, model):
    return [model.model_validate_json(o.body) for o in uow.committed if o.envelope.type == model.ce_type]


async def test_a_partner_schedules_a_hub_event_at_a_known_hub(processor, uow):
    assert await processor.process(command("familjebostader")) == "accepted"
    [fact] = published(uow, HubEventScheduled)
    assert (fact.hub_id, fact.organiser_partner_id, fact.capacity) == ("bergsjon", "familjebostader", 20)
    assert uow.hub_events.by_id["E-1"].status == "scheduled"


@pytest.mark.parametrize(
    ("partner", "overrides", "code"),
    [
        ("familjebostader", {"hub_id": "kortedala"}, "hub-unknown"),
        ("poseidon", {}, "organiser-unknown"),  # a partner of the network this directory copy lacks
    ],
)
async def test_a_hub_event_breaking_a_rule_is_refused(processor, uow, partner, overrides, code):
    assert await processor.process(command(partner, **overrides)) == "refused"
    [reply] = published(uow, CommandRejected)
    assert reply.code == code and uow.hub_events.by_id == {}


async def test_an_erased_resident_leaves_upcoming_places_keeps_past_counts_and_is_not_registered_again(processor, uow):
    await processor.process(command("familjebostader"))
    past = Occurrence("E-1", STARTS - timedelta(days=30), STARTS - timedelta(days=30, hours=-2), capacity=5)
    upcoming = await uow.occurrences.get("E-1", STARTS)
    upcoming.capacity = 1  # the second resident waits
    for occurrence, refs in ((past, ["ab" * 32]), (upcoming, ["ab" * 32, "cd" * 32])):
        for n, ref in enumerate(refs):
            occurrence.register(f"G-{occurrence.starts_at:%m%d}-{n}", ref, STARTS)
    await uow.occurrences.add([past])
    await uow.occurrences.save(past)
    await uow.occurrences.save(upcoming)
    erased = ParticipantErased(
        participant_ref="ab" * 32,
        reason="requested",
        requested_by_partner_id="brg",
        erased_at=STARTS - timedelta(days=1),
        referral_ids=["R-late"],
    )
    envelope = Envelope.new(type=erased.ce_type, source="urn:hubnet:service:referrals", subject=erased.subject())
    spec = bootstrap.spec(uow_factory=lambda _pool: lambda: uow)
    route = next(r for r in spec.routes if r.topic == "referral.events.v1")
    facts = Processor(
        route=route,
        consumer_group="g",
        uow_factory=spec.uow_factory(None),
        dead_letters=CollectedDeadLetters(),
        verifier=network_verifier(),
    )
    assert (
        await facts.process(
            signed(
                Record(erased.topic, 0, 0, b"x", erased.model_dump_json().encode(), tuple(envelope.to_headers())),
                by="service-referrals",
            )
        )
        == "processed"
    )
    now = await uow.occurrences.get("E-1", STARTS)
    assert [(r.participant_ref, r.status) for r in now.registrations] == [
        (None, "cancelled"),
        ("cd" * 32, "registered"),
    ]
    before = await uow.occurrences.get("E-1", past.starts_at)
    assert [(r.participant_ref, r.status) for r in before.registrations] == [(None, "registered")]  # still counted
    assert [f.registration_id for f in published(uow, WaitlistPromoted)] == [now.registrations[1].id]

    late = ReferralRequested(
        referral_id="R-late",
        version=1,
        status="requested",
        sender_partner_id="bostadsbolaget",
        receiver_partner_id="familjebostader",
        service_id="s",
        hub_id="bergsjon",
        actor_partner_id="bostadsbolaget",
        at=STARTS,
        participant_ref="ab" * 32,
        purpose="work",
        consent_id="C-1",
        hub_event_id="E-1",
        occurrence_starts_at=STARTS,
    )
    envelope = Envelope.new(type=late.ce_type, source="urn:hubnet:service:referrals", subject=late.subject())
    await facts.process(
        signed(
            Record(late.topic, 1, 0, b"R-late", late.model_dump_json().encode(), tuple(envelope.to_headers())),
            by="service-referrals",
        )
    )
    assert len((await uow.occurrences.get("E-1", STARTS)).registrations) == 2  # its request came too late: nobody
