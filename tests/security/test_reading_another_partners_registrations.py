"""Attack: a partner reads who another partner registered for a hub event it does not organise,
over the events service's JSON read (GET /hub-events/{id}), with its system's token or a staff
member's. It must see the event and its counts, never another partner's residents' refs."""

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest

from hubnet_common.ops.local.identities import partner_tokens, staff_login
from hubnet_common.ops.local.partners import LocalPartnerClient
from hubnet_common.sdk.messages import hubevent_commands as c
from tests.integration.conftest import until
from tests.integration.network import three_served
from tests.integration.referral_steps import accepted
from tests.integration.served import get

pytestmark = pytest.mark.integration
STARTS = (datetime.now(UTC) + timedelta(days=8)).replace(hour=16, minute=0, second=0, microsecond=0)
ORGANISER, REGISTRAR, ATTACKER = "goteborgs-stad-arbvux", "bostadsbolaget", "brg"


@pytest.fixture(scope="module")
async def events_url(new_database, kafka_bootstrap, mail_sink):
    async with three_served(new_database, kafka_bootstrap, mail_sink[0], "registrations-read") as (dsns, urls):
        for partner in (ORGANISER, REGISTRAR, ATTACKER):
            await until(dsns["events"], f"SELECT 1 FROM known_partners WHERE id = '{partner}'")
        await until(dsns["events"], "SELECT 1 FROM known_hubs WHERE id = 'bergsjon'")
        yield urls["events"]


async def evening_with_residents(kafka_bootstrap: str) -> tuple[str, str, str]:
    """The organiser's event, one resident registered by the organiser and one by the registrar."""
    command = c.ScheduleHubEvent(
        hub_id="bergsjon",
        kind="information-evening",
        title="Informationskväll om SFI",
        starts_at=STARTS,
        ends_at=STARTS + timedelta(hours=2),
        capacity=10,
    )
    organisers, registrars = uuid.uuid4().hex * 2, uuid.uuid4().hex * 2
    async with (
        LocalPartnerClient(kafka_bootstrap, ORGANISER) as organiser,
        LocalPartnerClient(kafka_bootstrap, REGISTRAR) as registrar,
    ):
        accepted(await organiser.request(command))
        accepted(
            await organiser.request(
                c.RegisterForHubEvent(hub_event_id=command.hub_event_id, participant_ref=organisers)
            )
        )
        accepted(
            await registrar.request(
                c.RegisterForHubEvent(hub_event_id=command.hub_event_id, participant_ref=registrars)
            )
        )
    return command.hub_event_id, organisers, registrars


async def test_a_partner_reads_no_refs_of_residents_at_another_partners_hub_event(events_url, kafka_bootstrap):
    hub_event_id, organisers, registrars = await evening_with_residents(kafka_bootstrap)
    path = f"/hub-events/{quote(hub_event_id)}"
    system = await get(events_url, path, partner_tokens(ATTACKER).token())
    staff = await get(events_url, path, staff_login("brg-sara", ATTACKER)["access_token"])
    for status, event in (system, staff):
        assert status == 200
        assert event["occurrences"][0]["registered"] == 2  # the counts are the calendar's
        assert event["registrations"] == [], "another partner's residents at the hub event"
        assert organisers not in str(event) and registrars not in str(event)


async def test_the_registrar_reads_only_the_residents_it_registered(events_url, kafka_bootstrap):
    hub_event_id, organisers, registrars = await evening_with_residents(kafka_bootstrap)
    _, event = await get(events_url, f"/hub-events/{quote(hub_event_id)}", partner_tokens(REGISTRAR).token())
    assert [r["participant_ref"] for r in event["registrations"]] == [registrars]
    _, event = await get(events_url, f"/hub-events/{quote(hub_event_id)}", partner_tokens(ORGANISER).token())
    assert [r["participant_ref"] for r in event["registrations"]] == [organisers, registrars]
