"""A referral to a hub event registers the resident; cancelling, rejecting or voiding the referral gives
the place to the first waiting (handlers/referred.py on in-memory repositories)."""

from datetime import UTC, datetime, timedelta

import pytest

from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.messages import hubevent_events as h
from hubnet_common.sdk.messages import referral_events as r
from hubnet_events.domain.hub_event import HubEvent
from hubnet_events.domain.occurrence import Occurrence
from hubnet_events.handlers.referred import HANDLERS
from tests.unit.common.fakes.events import FakeEventsUnitOfWork

STARTS = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)


async def evening(capacity: int = 1) -> FakeEventsUnitOfWork:
    uow = FakeEventsUnitOfWork()
    await uow.hub_events.add(
        HubEvent(
            "E-1",
            "bergsjon",
            "familjebostader",
            "information-evening",
            "Infokväll",
            "",
            STARTS,
            STARTS + timedelta(hours=2),
            capacity,
            "scheduled",
            1,
        )
    )
    await uow.occurrences.add([Occurrence("E-1", STARTS, STARTS + timedelta(hours=2), capacity)])
    return uow


def common(referral_id: str, **more) -> dict:
    return (
        dict(
            referral_id=referral_id,
            version=1,
            sender_partner_id="bostadsbolaget",
            receiver_partner_id="familjebostader",
            service_id="familjebostader-info",
            hub_id="bergsjon",
            actor_partner_id="bostadsbolaget",
            at=STARTS - timedelta(days=7),
        )
        | more
    )


def requested(referral_id: str, resident: str, **more) -> r.ReferralRequested:
    return r.ReferralRequested(
        **common(referral_id, status="requested"),
        participant_ref=resident * 64,
        purpose="work",
        consent_id="C-1",
        **({"hub_event_id": "E-1"} | more),
    )


async def handle(uow: FakeEventsUnitOfWork, fact) -> list:
    envelope = Envelope.new(type=fact.ce_type, source="urn:hubnet:service:referrals", subject=fact.referral_id)
    async with uow:
        await HANDLERS[type(fact)](fact, envelope, uow)
        published = [(o.envelope.type, o.body) for o in uow.pending]
        await uow.commit()
    return published


def facts(published: list, model) -> list:
    return [model.model_validate_json(body) for type_, body in published if type_ == model.ce_type]


def occurrence(uow: FakeEventsUnitOfWork) -> Occurrence:
    return uow.occurrences.by_key[("E-1", STARTS)]


async def test_the_referred_resident_takes_a_place_then_the_next_waits():
    uow = await evening(capacity=1)
    [confirmed] = facts(await handle(uow, requested("R-1", "a")), h.RegistrationConfirmed)
    assert (confirmed.registration_id, confirmed.referral_id, confirmed.registered, confirmed.capacity) == (
        "G-R-1",
        "R-1",
        1,
        1,
    )
    [waiting] = facts(await handle(uow, requested("R-2", "b", occurrence_starts_at=STARTS)), h.RegistrationWaitlisted)
    assert (waiting.registration_id, waiting.waitlist_position) == ("G-R-2", 1)
    assert [(g.participant_ref, g.status, g.referral_id, g.registered_by) for g in occurrence(uow).registrations] == [
        ("a" * 64, "registered", "R-1", "bostadsbolaget"),  # the referring partner registered them
        ("b" * 64, "waitlisted", "R-2", "bostadsbolaget"),
    ]


async def test_a_referral_without_a_hub_event_or_of_a_forgotten_resident_registers_nobody():
    uow = await evening()
    assert await handle(uow, requested("R-1", "a", hub_event_id=None)) == []
    uow.occurrences.erased_referrals.add("R-2")
    assert await handle(uow, requested("R-2", "b")) == []
    assert occurrence(uow).registrations == []


async def test_a_registration_that_cannot_be_made_is_left_without_refusing_the_fact():
    uow = await evening()
    assert await handle(uow, requested("R-1", "a", hub_event_id="E-none")) == []
    await handle(uow, requested("R-2", "a"))
    assert await handle(uow, requested("R-3", "a")) == []  # registered already
    assert len(occurrence(uow).registrations) == 1


@pytest.mark.parametrize(
    ("model", "status", "extra"),
    [
        (r.ReferralCancelled, "cancelled", {}),
        (r.ReferralRejected, "rejected", {"reason_code": "no-capacity"}),
        (r.ReferralEnteredInError, "entered-in-error", {"note": "sealed:v2:x"}),
    ],
)
async def test_ending_the_referral_frees_its_place_for_the_first_waiting(model, status, extra):
    uow = await evening(capacity=1)
    await handle(uow, requested("R-1", "a"))
    await handle(uow, requested("R-2", "b"))
    published = await handle(uow, model(**common("R-1", status=status, version=2), **extra))
    [cancelled] = facts(published, h.RegistrationCancelled)
    assert (cancelled.registration_id, cancelled.was, cancelled.hub_id) == ("G-R-1", f"referral {status}", "bergsjon")
    [promoted] = facts(published, h.WaitlistPromoted)
    assert (promoted.registration_id, promoted.referral_id) == ("G-R-2", "R-2")
    assert [g.status for g in occurrence(uow).registrations] == ["cancelled", "registered"]


async def test_ending_a_waiting_referral_promotes_nobody_and_ending_it_twice_changes_nothing():
    uow = await evening(capacity=1)
    await handle(uow, requested("R-1", "a"))
    await handle(uow, requested("R-2", "b"))
    published = await handle(uow, r.ReferralCancelled(**common("R-2", status="cancelled", version=2)))
    assert len(facts(published, h.RegistrationCancelled)) == 1 and facts(published, h.WaitlistPromoted) == []
    assert await handle(uow, r.ReferralCancelled(**common("R-2", status="cancelled", version=2))) == []
    assert await handle(uow, r.ReferralCancelled(**common("R-9", status="cancelled", version=2))) == []


async def test_the_place_of_an_erased_resident_is_left_alone():
    uow = await evening(capacity=1)
    await handle(uow, requested("R-1", "a"))
    occurrence(uow).registrations[0].participant_ref = None
    assert await handle(uow, r.ReferralCancelled(**common("R-1", status="cancelled", version=2))) == []
