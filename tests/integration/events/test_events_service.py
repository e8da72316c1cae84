"""The events service against the real Kafka broker and PostgreSQL."""

from datetime import UTC, datetime, timedelta

import pytest

from hubnet_common.sdk.messages.hubevent_commands import ScheduleHubEvent
from hubnet_common.sdk.messages.hubevent_events import HubEventScheduled
from hubnet_common.service.settings import Settings
from hubnet_events import bootstrap as events
from hubnet_referrals import bootstrap as referrals
from tests.conftest import fresh_group_prefix
from tests.integration.conftest import rows, running, until

pytestmark = pytest.mark.integration
STARTS = (datetime.now(UTC) + timedelta(days=2)).replace(hour=14, minute=0, second=0, microsecond=0)


@pytest.fixture(scope="module")
async def events_service(new_database, kafka_bootstrap):
    """The events service, with the directory it learns from a referrals service on directory.v1."""
    referrals_dsn, events_dsn = await new_database("referrals"), await new_database("events")
    prefix = fresh_group_prefix("it")
    async with running(
        referrals.spec(), Settings(pg_dsn=referrals_dsn, kafka_bootstrap=kafka_bootstrap, group_prefix=prefix)
    ):
        async with running(
            events.spec(), Settings(pg_dsn=events_dsn, kafka_bootstrap=kafka_bootstrap, group_prefix=prefix)
        ):
            await until(events_dsn, "SELECT 1 FROM known_hubs WHERE id = 'bergsjon'")
            await until(events_dsn, "SELECT 1 FROM known_partners WHERE id = 'familjebostader'")
            yield events_dsn


def meetup(**overrides) -> ScheduleHubEvent:
    return ScheduleHubEvent(
        **{
            "hub_id": "bergsjon",
            "kind": "employer-meetup",
            "title": "Träffa arbetsgivare",
            "starts_at": STARTS,
            "ends_at": STARTS + timedelta(hours=2),
            "capacity": 40,
            **overrides,
        }
    )


async def test_a_scheduled_hub_event_is_stored_and_published(events_service, partner, watcher):
    command = meetup()
    async with partner("familjebostader") as familjebostader:
        reply = await familjebostader.request(command)
    assert reply.ce_type.endswith("accepted.v1")
    fact = await watcher.wait_for(lambda s: isinstance(s.body, HubEventScheduled) and s.key == command.hub_event_id)
    assert fact.body.organiser_partner_id == "familjebostader" and fact.body.starts_at == STARTS
    [row] = await rows(
        events_service, "SELECT hub_id, capacity, status FROM hub_events WHERE id = $1", command.hub_event_id
    )
    assert tuple(row) == ("bergsjon", 40, "scheduled")


async def test_a_hub_event_at_an_unknown_hub_is_refused(events_service, partner):
    command = meetup(hub_id="kortedala")
    async with partner("familjebostader") as familjebostader:
        reply = await familjebostader.request(command)
    assert reply.code == "hub-unknown" and "kortedala" in reply.reason
    assert await rows(events_service, "SELECT 1 FROM hub_events WHERE id = $1", command.hub_event_id) == []


async def test_a_hub_event_ending_before_it_starts_is_refused_with_the_field(events_service, partner):
    from hubnet_common.sdk.envelope import Envelope
    from hubnet_common.sdk.identity import partner_source

    body = meetup().model_dump(mode="json") | {"ends_at": (STARTS - timedelta(hours=1)).isoformat()}
    envelope = Envelope.new(type=ScheduleHubEvent.ce_type, source=partner_source("brg"), subject=body["hub_event_id"])
    import json

    async with partner("brg") as brg:
        reply = await brg.request_raw("hubevent.commands.v1", json.dumps(body).encode(), envelope, key=envelope.subject)
    assert reply.code == "invalid-body" and "ends_at must be after starts_at" in reply.reason
    assert await rows(events_service, "SELECT 1 FROM hub_events WHERE id = $1", body["hub_event_id"]) == []
