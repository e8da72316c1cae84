"""The events service's command handling, through its bootstrap with in-memory fakes."""

from datetime import UTC, datetime, timedelta

import pytest
from hubnet_common.deadletter import CollectedDeadLetters
from hubnet_common.envelope import Envelope, partner_source
from hubnet_common.messages.directory import HubUpserted, PartnerUpserted
from hubnet_common.messages.hubevent_commands import ScheduleHubEvent
from hubnet_common.messages.hubevent_events import HubEventScheduled
from hubnet_common.messages.replies import CommandRejected
from hubnet_common.processing import Processor, Record
from hubnet_events import bootstrap

from tests.unit.fakes import FakeEventsUnitOfWork, network_verifier, signed

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
    return Processor(route=route, consumer_group="g", uow_factory=spec.uow_factory(None),
                     dead_letters=CollectedDeadLetters(), verifier=network_verifier())


def command(partner: str, **overrides) -> Record:
    body = ScheduleHubEvent(**{"hub_event_id": "E-1", "hub_id": "bergsjon", "kind": "pop-up", "title": "Pop-up",
                               "starts_at": STARTS, "ends_at": STARTS + timedelta(hours=3), "capacity": 20,
                               **overrides})
    envelope = Envelope.new(type=body.ce_type, source=partner_source(partner), subject=body.hub_event_id)
    return signed(Record(body.topic, 0, 0, b"E-1", body.model_dump_json().encode(), tuple(envelope.to_headers())),
                  by=f"partner-{partner}")


def published(uow, model):
    return [model.model_validate_json(o.body) for o in uow.committed if o.envelope.type == model.ce_type]


async def test_a_partner_schedules_a_hub_event_at_a_known_hub(processor, uow):
    assert await processor.process(command("familjebostader")) == "accepted"
    [fact] = published(uow, HubEventScheduled)
    assert (fact.hub_id, fact.organiser_partner_id, fact.capacity) == ("bergsjon", "familjebostader", 20)
    assert uow.hub_events.by_id["E-1"].status == "scheduled"


@pytest.mark.parametrize(("partner", "overrides", "code"), [
    ("familjebostader", {"hub_id": "kortedala"}, "hub-unknown"),
    ("poseidon", {}, "organiser-unknown"),  # a partner of the network this directory copy lacks
])
async def test_a_hub_event_breaking_a_rule_is_refused(processor, uow, partner, overrides, code):
    assert await processor.process(command(partner, **overrides)) == "refused"
    [reply] = published(uow, CommandRejected)
    assert reply.code == code and uow.hub_events.by_id == {}
