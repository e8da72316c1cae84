"""The organisers change a hub event, and residents register, cancel and attend
(handlers/change_hub_event.py and handlers/registrations.py on in-memory repositories)."""

from datetime import UTC, datetime, timedelta

import pytest

from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.identity import partner_source
from hubnet_common.sdk.messages import hubevent_commands as c
from hubnet_common.sdk.messages import hubevent_events as h
from hubnet_events.domain.hub_event import HubEvent, HubEventUnknown, NotOrganiser
from hubnet_events.domain.occurrence import CapacityBelowRegistrations, Occurrence, RegistrationIdTaken
from hubnet_events.handlers.change_hub_event import (
    OccurrenceTaken,
    cancel_hub_event,
    change_capacity,
    reschedule_occurrence,
    update_hub_event,
)
from hubnet_events.handlers.registrations import (
    NotPermitted,
    OccurrenceUnknown,
    cancel_registration,
    record_attendance,
    register,
)
from tests.unit.common.fakes.events import FakeEventsUnitOfWork

STARTS = datetime(2026, 12, 3, 17, 0, tzinfo=UTC)
WEEK = timedelta(days=7)
HOURS = timedelta(hours=2)


async def series(weeks: int = 1, capacity: int = 2, people: int = 0) -> FakeEventsUnitOfWork:
    """A hub event of `weeks` weekly occurrences; `people` residents registered for each."""
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
            STARTS + HOURS,
            capacity,
            "scheduled",
            1,
            rrule="FREQ=WEEKLY" if weeks > 1 else None,
        )
    )
    occurrences = [Occurrence("E-1", STARTS + n * WEEK, STARTS + n * WEEK + HOURS, capacity) for n in range(weeks)]
    for n, occurrence in enumerate(occurrences):
        for i in range(people):  # a registration id names one registration: G-<person>, G-<person>-<week>
            occurrence.register(f"G-{i}" + (f"-{n}" if n else ""), f"{i}" * 64, STARTS - WEEK)
    await uow.occurrences.add(occurrences)
    return uow


async def handle(uow, handler, command, by: str = "familjebostader") -> list:
    envelope = Envelope.new(type=command.ce_type, source=partner_source(by), subject="E-1")
    async with uow:
        await handler(command, envelope, uow)
        published = [(o.envelope.type, o.body) for o in uow.pending]
        await uow.commit()
    return published


def facts(published: list, model) -> list:
    return [model.model_validate_json(body) for type_, body in published if type_ == model.ce_type]


def occurrence(uow, n: int = 0) -> Occurrence:
    return uow.occurrences.by_key[("E-1", STARTS + n * WEEK)]


def who(uow) -> list[tuple[str | None, str]]:
    return [(r.participant_ref, r.status) for r in occurrence(uow).registrations]


async def test_more_places_move_the_waiting_up_in_every_occurrence():
    uow = await series(weeks=2, capacity=2, people=3)
    published = await handle(uow, change_capacity, c.ChangeHubEventCapacity(hub_event_id="E-1", capacity=3))
    [changed] = facts(published, h.HubEventCapacityChanged)
    assert (changed.capacity, changed.version, changed.hub_id) == (3, 2, "bergsjon")
    promoted = facts(published, h.WaitlistPromoted)
    assert [(p.registration_id, p.occurrence_starts_at) for p in promoted] == [
        ("G-2", STARTS),
        ("G-2-1", STARTS + WEEK),
    ]
    assert uow.hub_events.by_id["E-1"].capacity == 3
    assert [len(occurrence(uow, n).registered) for n in (0, 1)] == [3, 3]


async def test_capacity_never_below_those_registered_and_only_organisers_change_it():
    uow = await series(capacity=3, people=3)
    with pytest.raises(CapacityBelowRegistrations):
        await handle(uow, change_capacity, c.ChangeHubEventCapacity(hub_event_id="E-1", capacity=2))
    with pytest.raises(NotOrganiser):
        await handle(uow, change_capacity, c.ChangeHubEventCapacity(hub_event_id="E-1", capacity=9), by="brg")
    with pytest.raises(HubEventUnknown):
        await handle(uow, change_capacity, c.ChangeHubEventCapacity(hub_event_id="E-9", capacity=9))
    assert uow.hub_events.by_id["E-1"].capacity == 3 and uow.committed == []


async def test_cancelling_closes_every_occurrence_and_counts_the_places_cancelled():
    uow = await series(weeks=2, capacity=1, people=2)
    [cancelled] = facts(
        await handle(uow, cancel_hub_event, c.CancelHubEvent(hub_event_id="E-1", reason="sjukdom")), h.HubEventCancelled
    )
    assert (cancelled.reason, cancelled.registrations_cancelled, cancelled.title, cancelled.version) == (
        "sjukdom",
        4,
        "Infokväll",
        2,
    )
    assert uow.hub_events.by_id["E-1"].status == "cancelled"
    assert {occurrence(uow, n).status for n in (0, 1)} == {"cancelled"}
    with pytest.raises(HubEventUnknown):
        await handle(uow, cancel_hub_event, c.CancelHubEvent(hub_event_id="E-9", reason="x"))


async def test_new_words_are_announced_with_what_changed_and_the_same_words_announce_nothing():
    uow = await series()
    [updated] = facts(
        await handle(uow, update_hub_event, c.UpdateHubEvent(hub_event_id="E-1", title="Jobbkväll", description="")),
        h.HubEventUpdated,
    )
    assert (updated.title, updated.changed, updated.version) == ("Jobbkväll", ["title"], 2)
    assert uow.hub_events.by_id["E-1"].title == "Jobbkväll"
    assert await handle(uow, update_hub_event, c.UpdateHubEvent(hub_event_id="E-1", title="Jobbkväll")) == []
    with pytest.raises(HubEventUnknown):
        await handle(uow, update_hub_event, c.UpdateHubEvent(hub_event_id="E-9", title="x"))


async def test_a_one_off_moved_takes_its_registrations_and_the_events_times_along():
    uow = await series(people=1)
    later = STARTS + timedelta(days=1)
    [moved] = facts(
        await handle(
            uow,
            reschedule_occurrence,
            c.RescheduleOccurrence(hub_event_id="E-1", starts_at=later, ends_at=later + HOURS),
        ),
        h.OccurrenceRescheduled,
    )
    assert (moved.was_starts_at, moved.starts_at, moved.ends_at, moved.registered, moved.version) == (
        STARTS,
        later,
        later + HOURS,
        1,
        2,
    )
    assert list(uow.occurrences.by_key) == [("E-1", later)]
    event = uow.hub_events.by_id["E-1"]
    assert (event.starts_at, event.ends_at) == (later, later + HOURS)


async def test_an_occurrence_of_a_series_moves_alone_and_never_onto_another():
    uow = await series(weeks=2)
    with pytest.raises(OccurrenceTaken):
        await handle(
            uow,
            reschedule_occurrence,
            c.RescheduleOccurrence(
                hub_event_id="E-1", occurrence_starts_at=STARTS, starts_at=STARTS + WEEK, ends_at=STARTS + WEEK + HOURS
            ),
        )
    later = STARTS + HOURS
    await handle(
        uow,
        reschedule_occurrence,
        c.RescheduleOccurrence(hub_event_id="E-1", occurrence_starts_at=STARTS, starts_at=later, ends_at=later + HOURS),
    )
    assert sorted(uow.occurrences.by_key) == [("E-1", later), ("E-1", STARTS + WEEK)]
    assert uow.hub_events.by_id["E-1"].starts_at == STARTS  # the series keeps its own times
    with pytest.raises(HubEventUnknown):
        await handle(
            uow,
            reschedule_occurrence,
            c.RescheduleOccurrence(hub_event_id="E-9", starts_at=later, ends_at=later + HOURS),
        )


async def test_a_series_needs_the_occurrence_named_and_it_must_exist():
    uow = await series(weeks=2)
    with pytest.raises(OccurrenceUnknown, match="takes place 2 times"):
        await handle(uow, register, c.RegisterForHubEvent(hub_event_id="E-1", participant_ref="a" * 64))
    with pytest.raises(OccurrenceUnknown):
        await handle(
            uow,
            register,
            c.RegisterForHubEvent(hub_event_id="E-1", participant_ref="a" * 64, occurrence_starts_at=STARTS + HOURS),
        )
    with pytest.raises(HubEventUnknown):
        await handle(uow, register, c.RegisterForHubEvent(hub_event_id="E-9", participant_ref="a" * 64))


async def test_registering_gives_a_place_then_a_waitlist_position():
    uow = await series(capacity=1)
    [confirmed] = facts(
        await handle(
            uow,
            register,
            c.RegisterForHubEvent(
                hub_event_id="E-1", registration_id="G-a", participant_ref="a" * 64, referral_id="R-1"
            ),
        ),
        h.RegistrationConfirmed,
    )
    assert (
        confirmed.registration_id,
        confirmed.referral_id,
        confirmed.registered,
        confirmed.capacity,
        confirmed.occurrence_starts_at,
    ) == ("G-a", "R-1", 1, 1, STARTS)
    for ref in "bc":
        published = await handle(
            uow,
            register,
            c.RegisterForHubEvent(hub_event_id="E-1", registration_id=f"G-{ref}", participant_ref=ref * 64),
        )
    [waiting] = facts(published, h.RegistrationWaitlisted)
    assert (waiting.registration_id, waiting.waitlist_position) == ("G-c", 2)


async def test_a_cancelled_place_says_what_it_was_and_moves_the_first_waiting_up():
    uow = await series(capacity=1, people=3)
    published = await handle(
        uow, cancel_registration, c.CancelRegistration(hub_event_id="E-1", participant_ref="0" * 64)
    )
    [cancelled] = facts(published, h.RegistrationCancelled)
    assert (cancelled.registration_id, cancelled.was) == ("G-0", "registered")
    [promoted] = facts(published, h.WaitlistPromoted)
    assert promoted.registration_id == "G-1"
    published = await handle(
        uow, cancel_registration, c.CancelRegistration(hub_event_id="E-1", participant_ref="2" * 64)
    )
    assert [f.was for f in facts(published, h.RegistrationCancelled)] == ["waitlisted"]
    assert facts(published, h.WaitlistPromoted) == []


async def test_attendance_counts_those_who_came_those_who_did_not_and_walk_ins():
    uow = await series(capacity=3, people=3)
    [recorded] = facts(
        await handle(
            uow,
            record_attendance,
            c.RecordAttendance(hub_event_id="E-1", attended=["0" * 64, "1" * 64], no_shows=["2" * 64], walk_ins=4),
        ),
        h.AttendanceRecorded,
    )
    assert (recorded.registered, recorded.attended, recorded.no_shows, recorded.walk_ins) == (3, 2, 1, 4)
    assert occurrence(uow).walk_ins == 4


async def test_only_the_organisers_or_the_registering_partner_cancel_a_place_and_a_refusal_tells_nothing():
    uow = await series(capacity=2)
    await handle(uow, register, c.RegisterForHubEvent(hub_event_id="E-1", participant_ref="a" * 64), by="brg")
    refusals = []
    for ref in ("a", "b"):  # registered by brg; not registered at all
        with pytest.raises(NotPermitted) as refused:
            await handle(
                uow,
                cancel_registration,
                c.CancelRegistration(hub_event_id="E-1", participant_ref=ref * 64),
                by="poseidon",
            )
        refusals.append(refused.value.reason)
    assert refusals[0] == refusals[1]
    assert who(uow) == [("a" * 64, "registered")]
    await handle(uow, cancel_registration, c.CancelRegistration(hub_event_id="E-1", participant_ref="a" * 64), by="brg")
    assert who(uow) == [("a" * 64, "cancelled")]


async def test_only_the_organisers_record_attendance():
    uow = await series(capacity=3, people=1)
    with pytest.raises(NotPermitted):
        await handle(uow, record_attendance, c.RecordAttendance(hub_event_id="E-1", no_shows=["0" * 64]), by="brg")
    assert occurrence(uow).registrations[0].attendance is None


async def test_a_registration_sent_again_stands_and_a_cancelled_one_is_not_brought_back():
    uow = await series(capacity=1)
    again = c.RegisterForHubEvent(hub_event_id="E-1", registration_id="G-a", participant_ref="a" * 64)
    assert facts(await handle(uow, register, again, by="brg"), h.RegistrationConfirmed)
    assert await handle(uow, register, again, by="brg") == []  # the same registration: nothing changes
    with pytest.raises(RegistrationIdTaken):  # the same id from another partner is not "the same"
        await handle(uow, register, again, by="poseidon")
    await handle(uow, cancel_registration, c.CancelRegistration(hub_event_id="E-1", participant_ref="a" * 64), by="brg")
    await handle(uow, register, c.RegisterForHubEvent(hub_event_id="E-1", participant_ref="b" * 64), by="brg")
    with pytest.raises(RegistrationIdTaken):
        await handle(uow, register, again, by="brg")
    assert who(uow) == [("a" * 64, "cancelled"), ("b" * 64, "registered")]
