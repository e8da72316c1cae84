"""The events service's JSON reads of hub events (GET /hub-events, /hub-events/{id}) against the
real Kafka, PostgreSQL and identity provider: a hub's calendar with places taken and the waitlist,
and the registrations the organiser sees move when a place is cancelled."""

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlencode

import pytest

from hubnet_common.ops.local.identities import partner_tokens
from hubnet_common.ops.local.partners import LocalPartnerClient
from hubnet_common.sdk.messages import hubevent_commands as c
from tests.integration.conftest import rows, until
from tests.integration.network import three_served
from tests.integration.referral_steps import accepted
from tests.integration.served import get

pytestmark = pytest.mark.integration
STARTS = (datetime.now(UTC) + timedelta(days=6)).replace(hour=15, minute=0, second=0, microsecond=0)
HOST, OTHER = "familjebostader", "bostadsbolaget"


def resident() -> str:
    return uuid.uuid4().hex * 2


@pytest.fixture(scope="module")
async def events(new_database, kafka_bootstrap, mail_sink):
    async with three_served(new_database, kafka_bootstrap, mail_sink[0], "hubevents-http") as (dsns, urls):
        for partner in (HOST, OTHER):
            await until(dsns["events"], f"SELECT 1 FROM known_partners WHERE id = '{partner}'")
        await until(dsns["events"], "SELECT 1 FROM known_hubs WHERE id = 'bergsjon'")
        yield urls["events"], dsns["events"]


async def scheduled(kafka_bootstrap: str, capacity: int = 2, **overrides) -> str:
    command = c.ScheduleHubEvent(
        **{
            "hub_id": "bergsjon",
            "kind": "cv-drop-in",
            "title": "CV-verkstad",
            "starts_at": STARTS,
            "ends_at": STARTS + timedelta(hours=2),
            "capacity": capacity,
            "languages": ["sv", "so"],
            **overrides,
        }
    )
    async with LocalPartnerClient(kafka_bootstrap, HOST) as host:
        accepted(await host.request(command))
    return command.hub_event_id


async def read(url: str, path: str, partner: str = HOST):
    return await get(url, path, partner_tokens(partner).token())


async def test_a_hubs_calendar_shows_each_occurrence_with_places_taken_and_the_waitlist(events, kafka_bootstrap):
    url, _ = events
    hub_event_id = await scheduled(kafka_bootstrap)
    async with LocalPartnerClient(kafka_bootstrap, HOST) as host:
        for _ in range(3):
            accepted(await host.request(c.RegisterForHubEvent(hub_event_id=hub_event_id, participant_ref=resident())))
    status, listed = await read(url, "/hub-events?" + urlencode({"hub": "bergsjon"}), OTHER)
    assert status == 200
    [event] = [e for e in listed if e["id"] == hub_event_id]
    assert (event["hub_name"], event["organiser_partner_id"], event["languages"]) == ("Bergsjön", HOST, ["sv", "so"])
    [occurrence] = event["occurrences"]
    assert (occurrence["capacity"], occurrence["registered"], occurrence["waitlisted"]) == (2, 2, 1)


async def test_what_is_over_by_from_is_left_out_and_other_hubs_too(events, kafka_bootstrap):
    url, _ = events
    hub_event_id = await scheduled(kafka_bootstrap)
    after = (STARTS + timedelta(hours=3)).isoformat()
    _, later = await read(url, "/hub-events?" + urlencode({"hub": "bergsjon", "from": after}))
    _, elsewhere = await read(url, "/hub-events?" + urlencode({"hub": "hjallbo"}))
    _, everywhere = await read(url, "/hub-events")
    assert hub_event_id not in [e["id"] for e in later + elsewhere]
    assert hub_event_id in [e["id"] for e in everywhere]


async def test_the_organiser_sees_the_waitlist_move_when_a_place_is_cancelled(events, kafka_bootstrap):
    url, _ = events
    hub_event_id = await scheduled(kafka_bootstrap)
    first, second, waiting = resident(), resident(), resident()
    async with LocalPartnerClient(kafka_bootstrap, HOST) as host:
        for ref in (first, second, waiting):
            accepted(await host.request(c.RegisterForHubEvent(hub_event_id=hub_event_id, participant_ref=ref)))
        _, before = await read(url, f"/hub-events/{quote(hub_event_id)}")
        accepted(await host.request(c.CancelRegistration(hub_event_id=hub_event_id, participant_ref=first)))
    _, after = await read(url, f"/hub-events/{quote(hub_event_id)}")
    places = lambda event: [(r["participant_ref"], r["status"], r["waitlist_position"]) for r in event["registrations"]]  # noqa: E731
    assert places(before) == [(first, "registered", None), (second, "registered", None), (waiting, "waitlisted", 1)]
    assert places(after) == [(second, "registered", None), (waiting, "registered", None)]
    assert (after["occurrences"][0]["registered"], after["occurrences"][0]["waitlisted"]) == (2, 0)


async def test_attendance_and_walk_ins_are_read_back(events, kafka_bootstrap):
    url, _ = events
    hub_event_id = await scheduled(kafka_bootstrap, capacity=5)
    came, stayed_away = resident(), resident()
    async with LocalPartnerClient(kafka_bootstrap, HOST) as host:
        for ref in (came, stayed_away):
            accepted(await host.request(c.RegisterForHubEvent(hub_event_id=hub_event_id, participant_ref=ref)))
        accepted(
            await host.request(
                c.RecordAttendance(hub_event_id=hub_event_id, attended=[came], no_shows=[stayed_away], walk_ins=3)
            )
        )
    _, event = await read(url, f"/hub-events/{quote(hub_event_id)}")
    assert [(r["participant_ref"], r["attendance"]) for r in event["registrations"]] == [
        (came, "attended"),
        (stayed_away, "no-show"),
    ]
    assert event["occurrences"][0]["walk_ins"] == 3


async def test_a_read_of_a_hub_events_registrations_is_in_the_access_log(events, kafka_bootstrap):
    url, dsn = events
    hub_event_id = await scheduled(kafka_bootstrap)
    assert (await read(url, f"/hub-events/{quote(hub_event_id)}", OTHER))[0] == 200
    assert (await read(url, f"/hub-events/{quote('E-none')}", OTHER))[0] == 404
    logged = await rows(
        dsn, "SELECT partner, object_id, status FROM access_log WHERE route = '/hub-events/{id}' ORDER BY seq"
    )
    assert [tuple(r) for r in logged][-2:] == [(OTHER, hub_event_id, 200), (OTHER, "E-none", 404)]


async def test_a_hub_event_needs_a_partners_token(events, kafka_bootstrap):
    url, _ = events
    hub_event_id = await scheduled(kafka_bootstrap)
    assert (await get(url, f"/hub-events/{quote(hub_event_id)}"))[0] == 401
    assert (await get(url, "/hub-events"))[0] == 401
