"""Attacks on another partner's residents at a hub event: cancel their place, rewrite who came,
learn from a refusal who is registered, or bring a cancelled place back by re-sending its
registration. Only the organisers record attendance; a place is cancelled by the organisers or by
the partner that registered the resident; a registration id is used once."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from hubnet_common.ops.local.partners import LocalPartnerClient
from hubnet_common.sdk.messages import hubevent_commands as c
from tests.integration.conftest import rows, until
from tests.integration.referral_steps import accepted

STARTS = (datetime.now(UTC) + timedelta(days=9)).replace(hour=17, minute=0, second=0, microsecond=0)
ORGANISER, REGISTRAR, ATTACKER = "goteborgs-stad-arbvux", "bostadsbolaget", "brg"


def resident() -> str:
    return uuid.uuid4().hex * 2


@pytest.fixture(scope="module")
async def events_dsn(network):
    dsn = network[1]
    await until(dsn, "SELECT 1 FROM known_hubs WHERE id = 'bergsjon'")
    for partner in (ORGANISER, REGISTRAR, ATTACKER):
        await until(dsn, f"SELECT 1 FROM known_partners WHERE id = '{partner}'")
    return dsn


async def evening(kafka_bootstrap: str, capacity: int = 5) -> str:
    command = c.ScheduleHubEvent(
        hub_id="bergsjon",
        kind="information-evening",
        capacity=capacity,
        title="Informationskväll",
        starts_at=STARTS,
        ends_at=STARTS + timedelta(hours=2),
    )
    async with LocalPartnerClient(kafka_bootstrap, ORGANISER) as organiser:
        accepted(await organiser.request(command))
    return command.hub_event_id


async def registrations(dsn: str, hub_event_id: str) -> list[tuple]:
    stored = await rows(
        dsn,
        "SELECT id, participant_ref, status, attendance FROM registrations WHERE hub_event_id = $1 ORDER BY seq",
        hub_event_id,
    )
    return [tuple(r) for r in stored]


async def test_a_partner_cannot_cancel_a_resident_another_partner_registered(events_dsn, kafka_bootstrap):
    hub_event_id, theirs = await evening(kafka_bootstrap), resident()
    async with LocalPartnerClient(kafka_bootstrap, REGISTRAR) as registrar:
        accepted(await registrar.request(c.RegisterForHubEvent(hub_event_id=hub_event_id, participant_ref=theirs)))
    async with LocalPartnerClient(kafka_bootstrap, ATTACKER) as attacker:
        answer = await attacker.request(c.CancelRegistration(hub_event_id=hub_event_id, participant_ref=theirs))
    assert (answer.ce_type, getattr(answer, "code", None)) == ("se.hubnet.command.rejected.v1", "not-permitted")
    assert [r[1:3] for r in await registrations(events_dsn, hub_event_id)] == [(theirs, "registered")]

    async with LocalPartnerClient(kafka_bootstrap, REGISTRAR) as registrar:  # its own resident: it may
        accepted(await registrar.request(c.CancelRegistration(hub_event_id=hub_event_id, participant_ref=theirs)))
    assert [r[1:3] for r in await registrations(events_dsn, hub_event_id)] == [(theirs, "cancelled")]


async def test_a_partner_cannot_record_attendance_at_another_partners_hub_event(events_dsn, kafka_bootstrap):
    hub_event_id, theirs = await evening(kafka_bootstrap), resident()
    async with LocalPartnerClient(kafka_bootstrap, REGISTRAR) as registrar:
        accepted(await registrar.request(c.RegisterForHubEvent(hub_event_id=hub_event_id, participant_ref=theirs)))
        by_registrar = await registrar.request(c.RecordAttendance(hub_event_id=hub_event_id, attended=[theirs]))
    async with LocalPartnerClient(kafka_bootstrap, ATTACKER) as attacker:
        answer = await attacker.request(c.RecordAttendance(hub_event_id=hub_event_id, no_shows=[theirs], walk_ins=500))
    assert (answer.ce_type, getattr(answer, "code", None)) == ("se.hubnet.command.rejected.v1", "not-permitted")
    assert (
        getattr(by_registrar, "code", None) == "not-permitted"
    )  # registering a resident does not make one the organiser
    assert [r[1:] for r in await registrations(events_dsn, hub_event_id)] == [(theirs, "registered", None)]
    [walk_ins] = await rows(events_dsn, "SELECT walk_ins FROM occurrences WHERE hub_event_id = $1", hub_event_id)
    assert walk_ins[0] == 0


async def test_a_refused_cancellation_does_not_tell_a_prober_who_is_registered(events_dsn, kafka_bootstrap):
    hub_event_id, registered, not_registered = await evening(kafka_bootstrap), resident(), resident()
    async with LocalPartnerClient(kafka_bootstrap, REGISTRAR) as registrar:
        accepted(await registrar.request(c.RegisterForHubEvent(hub_event_id=hub_event_id, participant_ref=registered)))
    async with LocalPartnerClient(kafka_bootstrap, ATTACKER) as attacker:
        answers = []
        for ref in (registered, not_registered):
            answers.append(await attacker.request(c.CancelRegistration(hub_event_id=hub_event_id, participant_ref=ref)))
            answers.append(await attacker.request(c.RecordAttendance(hub_event_id=hub_event_id, attended=[ref])))
    cancel_theirs, attend_theirs, cancel_nobody, attend_nobody = answers
    assert (cancel_theirs.code, cancel_theirs.reason) == (cancel_nobody.code, cancel_nobody.reason)
    assert (attend_theirs.code, attend_theirs.reason) == (attend_nobody.code, attend_nobody.reason)
    assert cancel_theirs.code == attend_theirs.code == "not-permitted"


async def test_a_reused_registration_id_cannot_bring_back_a_cancelled_place(events_dsn, kafka_bootstrap):
    hub_event_id, first, second = await evening(kafka_bootstrap, capacity=1), resident(), resident()
    register = c.RegisterForHubEvent(hub_event_id=hub_event_id, participant_ref=first)
    async with LocalPartnerClient(kafka_bootstrap, REGISTRAR) as registrar:
        accepted(await registrar.request(register))
        accepted(await registrar.request(register))  # sent twice while it holds: the same registration, once
        accepted(await registrar.request(c.CancelRegistration(hub_event_id=hub_event_id, participant_ref=first)))
        accepted(await registrar.request(c.RegisterForHubEvent(hub_event_id=hub_event_id, participant_ref=second)))
        again = await registrar.request(register)  # the cancelled registration, re-sent
    async with LocalPartnerClient(kafka_bootstrap, ATTACKER) as attacker:
        elsewhere = await attacker.request(
            c.RegisterForHubEvent(
                hub_event_id=await evening(kafka_bootstrap),
                registration_id=register.registration_id,
                participant_ref=resident(),
            )
        )
    assert (again.ce_type, getattr(again, "code", None)) == ("se.hubnet.command.rejected.v1", "registration-id-taken")
    assert getattr(elsewhere, "code", None) == "registration-id-taken"
    stored = await registrations(events_dsn, hub_event_id)
    assert [r[:3] for r in stored] == [
        (register.registration_id, first, "cancelled"),
        (stored[1][0], second, "registered"),
    ]
    [row] = await rows(events_dsn, "SELECT hub_event_id FROM registrations WHERE id = $1", register.registration_id)
    assert row[0] == hub_event_id  # not moved to the other hub event either
