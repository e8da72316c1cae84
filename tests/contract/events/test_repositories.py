"""One contract for the events repositories, run against the fake and against PostgreSQL: what a
handler stores, it reads back in the next unit of work, the same way on both."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime, timedelta

import pytest

from hubnet_events.domain.hub_event import HubEvent
from hubnet_events.domain.occurrence import Occurrence
from tests.contract.events.conftest import UnitsOfWork

STARTS = datetime(2026, 12, 3, 17, 0, tzinfo=UTC)
WEEK = timedelta(days=7)
HOURS_2 = timedelta(hours=2)
REGISTRATION_IDS = itertools.count(1)  # a new id per registration, as RegisterForHubEvent makes them


def event(hub_event_id: str = "E-1", capacity: int = 2, **more) -> HubEvent:
    return HubEvent(
        **{
            "id": hub_event_id,
            "hub_id": "bergsjon",
            "organiser_partner_id": "familjebostader",
            "kind": "information-evening",
            "title": "Infokväll",
            "description": "Om vuxenutbildning",
            "starts_at": STARTS,
            "ends_at": STARTS + HOURS_2,
            "capacity": capacity,
            "status": "scheduled",
            "version": 1,
            **more,
        }
    )


async def scheduled(uow_of: UnitsOfWork, e: HubEvent, weeks: int = 1) -> None:
    """The event and its weekly occurrences, committed (as schedule_hub_event stores them)."""
    async with uow_of() as uow:
        await uow.hub_events.add(e)
        await uow.occurrences.add(
            [Occurrence(e.id, e.starts_at + n * WEEK, e.ends_at + n * WEEK, e.capacity) for n in range(weeks)]
        )
        await uow.commit()


async def registered(uow_of: UnitsOfWork, hub_event_id: str, starts_at: datetime, *refs: str) -> None:
    """Residents register in this order, each in a unit of work of its own (as `register` does)."""
    for ref in refs:
        async with uow_of() as uow:
            occurrence = await uow.occurrences.get(hub_event_id, starts_at)
            assert occurrence is not None
            occurrence.register(f"G-{next(REGISTRATION_IDS)}", ref, STARTS - WEEK, referral_id=f"R-{ref}")
            await uow.occurrences.save(occurrence)
            await uow.commit()


async def occurrence_at(uow_of: UnitsOfWork, hub_event_id: str = "E-1", starts_at: datetime = STARTS) -> Occurrence:
    async with uow_of() as uow:
        found = await uow.occurrences.get(hub_event_id, starts_at)
    assert found is not None
    return found


def who(occurrence: Occurrence) -> list[tuple[str | None, str]]:
    return [(r.participant_ref, r.status) for r in occurrence.registrations]


# Hub events


async def test_a_hub_event_added_is_read_back_as_it_was(units_of_work):
    added = event(rrule="FREQ=WEEKLY;COUNT=2", co_organiser_ids=("brg",), languages=("sv", "en"), title_en="Info")
    await scheduled(units_of_work, added)
    async with units_of_work() as uow:
        assert await uow.hub_events.get("E-1") == added
        assert await uow.hub_events.get_for_update("E-1") == added


async def test_an_unknown_hub_event_is_none(units_of_work):
    async with units_of_work() as uow:
        assert await uow.hub_events.get("E-nothing") is None
        assert await uow.hub_events.get_for_update("E-nothing") is None


async def test_saved_changes_of_a_hub_event_are_kept(units_of_work):
    await scheduled(units_of_work, event())
    async with units_of_work() as uow:
        e = await uow.hub_events.get_for_update("E-1")
        assert e is not None
        e.update({"title": "Jobbkväll", "audience": "unga vuxna"}, by="familjebostader")
        e.change_capacity(5, by="familjebostader")
        e.starts_at, e.ends_at = STARTS + HOURS_2, STARTS + 2 * HOURS_2
        e.cancel("sjukdom", by="familjebostader")
        await uow.hub_events.save(e)
        await uow.commit()
    async with units_of_work() as uow:
        assert await uow.hub_events.get("E-1") == e


async def test_a_hub_event_changed_but_not_saved_stays_as_stored(units_of_work):
    await scheduled(units_of_work, event())
    async with units_of_work() as uow:
        e = await uow.hub_events.get("E-1")
        assert e is not None
        e.title = "Ändrad i minnet"
        assert await uow.hub_events.get("E-1") == event()


async def test_saving_keeps_what_a_hub_event_cannot_change(units_of_work):
    """Where, by whom, what kind and the recurrence are fixed when it is scheduled."""
    await scheduled(units_of_work, event())
    async with units_of_work() as uow:
        changed = dataclasses.replace(event(), hub_id="hjallbo", kind="pop-up", rrule="FREQ=DAILY;COUNT=2", version=2)
        await uow.hub_events.save(changed)
        await uow.commit()
    async with units_of_work() as uow:
        assert await uow.hub_events.get("E-1") == event(version=2)


async def test_what_was_not_committed_is_gone(units_of_work):
    async with units_of_work() as uow:
        await uow.hub_events.add(event())
        await uow.occurrences.add([Occurrence("E-1", STARTS, STARTS + HOURS_2, 2)])
    async with units_of_work() as uow:
        assert await uow.hub_events.get("E-1") is None
        assert await uow.occurrences.starts("E-1") == []


# Occurrences and registrations


async def test_occurrences_are_found_by_their_event_earliest_first(units_of_work):
    await scheduled(units_of_work, event("E-1"), weeks=3)
    await scheduled(units_of_work, event("E-2", starts_at=STARTS - WEEK, ends_at=STARTS - WEEK + HOURS_2))
    async with units_of_work() as uow:
        assert await uow.occurrences.starts("E-1") == [STARTS, STARTS + WEEK, STARTS + 2 * WEEK]
        assert await uow.occurrences.starts("E-nothing") == []
        second = await uow.occurrences.get("E-1", STARTS + WEEK)
        assert second == Occurrence("E-1", STARTS + WEEK, STARTS + WEEK + HOURS_2, 2)
        assert await uow.occurrences.get("E-1", STARTS + timedelta(minutes=1)) is None


async def test_registrations_come_back_in_arrival_order_with_the_waitlist(units_of_work):
    await scheduled(units_of_work, event(capacity=2))
    await registered(units_of_work, "E-1", STARTS, "c", "a", "d", "b")
    occurrence = await occurrence_at(units_of_work)
    assert who(occurrence) == [("c", "registered"), ("a", "registered"), ("d", "waitlisted"), ("b", "waitlisted")]
    seqs = [r.seq for r in occurrence.registrations if r.seq is not None]  # given when stored
    assert len(seqs) == 4 and seqs == sorted(seqs)
    assert occurrence.waitlist[0].referral_id == "R-d"


async def test_a_cancellation_and_the_promotion_it_makes_are_kept(units_of_work):
    await scheduled(units_of_work, event(capacity=1))
    await registered(units_of_work, "E-1", STARTS, "a", "b", "c")
    async with units_of_work() as uow:
        occurrence = await uow.occurrences.get("E-1", STARTS)
        assert occurrence is not None
        occurrence.cancel("a")
        await uow.occurrences.save(occurrence)
        await uow.commit()
    await registered(units_of_work, "E-1", STARTS, "a")  # and back, at the end of the waitlist
    assert who(await occurrence_at(units_of_work)) == [
        ("a", "cancelled"),
        ("b", "registered"),
        ("c", "waitlisted"),
        ("a", "waitlisted"),
    ]


async def test_capacity_attendance_and_walk_ins_are_kept(units_of_work):
    await scheduled(units_of_work, event(capacity=1))
    await registered(units_of_work, "E-1", STARTS, "a", "b", "c")
    async with units_of_work() as uow:
        occurrence = await uow.occurrences.get("E-1", STARTS)
        assert occurrence is not None
        occurrence.change_capacity(2)
        occurrence.record_attendance(["a"], ["b"], walk_ins=3)
        await uow.occurrences.save(occurrence)
        await uow.commit()
    occurrence = await occurrence_at(units_of_work)
    assert (occurrence.capacity, occurrence.walk_ins) == (2, 3)
    assert [(r.participant_ref, r.status, r.attendance) for r in occurrence.registrations] == [
        ("a", "registered", "attended"),
        ("b", "registered", "no-show"),
        ("c", "waitlisted", None),
    ]


async def test_a_closed_occurrence_keeps_its_cancelled_registrations(units_of_work):
    await scheduled(units_of_work, event(capacity=1))
    await registered(units_of_work, "E-1", STARTS, "a", "b")
    async with units_of_work() as uow:
        occurrence = await uow.occurrences.get("E-1", STARTS)
        assert occurrence is not None
        assert occurrence.close() == 2
        await uow.occurrences.save(occurrence)
        await uow.commit()
    occurrence = await occurrence_at(units_of_work)
    assert occurrence.status == "cancelled" and who(occurrence) == [("a", "cancelled"), ("b", "cancelled")]


async def test_a_moved_occurrence_takes_its_registrations_along(units_of_work):
    await scheduled(units_of_work, event(), weeks=2)
    await registered(units_of_work, "E-1", STARTS, "a")
    later = STARTS + timedelta(days=1)
    async with units_of_work() as uow:
        occurrence = await uow.occurrences.get("E-1", STARTS)
        assert occurrence is not None
        occurrence.move(later, later + HOURS_2)
        await uow.occurrences.move(occurrence, STARTS)
        await uow.commit()
    async with units_of_work() as uow:
        assert await uow.occurrences.starts("E-1") == [later, STARTS + WEEK]
        assert await uow.occurrences.get("E-1", STARTS) is None
        assert await uow.occurrences.registration_of_referral("R-a") == ("E-1", later, "a")
    moved = await occurrence_at(units_of_work, starts_at=later)
    assert moved.ends_at == later + HOURS_2 and who(moved) == [("a", "registered")]


async def test_the_registration_of_a_referral_is_its_latest(units_of_work):
    await scheduled(units_of_work, event(), weeks=2)
    async with units_of_work() as uow:
        assert await uow.occurrences.registration_of_referral("R-a") is None
    for starts_at in (STARTS + WEEK, STARTS):  # stored later at an earlier occurrence
        async with units_of_work() as uow:
            occurrence = await uow.occurrences.get("E-1", starts_at)
            assert occurrence is not None
            occurrence.register(f"G-{starts_at:%d}", "a", STARTS - WEEK, referral_id="R-a")
            await uow.occurrences.save(occurrence)
            await uow.commit()
    async with units_of_work() as uow:
        assert await uow.occurrences.registration_of_referral("R-a") == ("E-1", STARTS, "a")


async def test_a_registration_keeps_who_registered_and_where_its_id_is(units_of_work):
    await scheduled(units_of_work, event(), weeks=2)
    async with units_of_work() as uow:
        assert await uow.occurrences.registration_place("G-x") is None
        occurrence = await uow.occurrences.get("E-1", STARTS)
        assert occurrence is not None
        occurrence.register("G-x", "a", STARTS - WEEK, by="brg")
        await uow.occurrences.save(occurrence)
        await uow.commit()
    async with units_of_work() as uow:
        assert await uow.occurrences.registration_place("G-x") == ("E-1", STARTS)
    [stored] = (await occurrence_at(units_of_work)).registrations
    assert (stored.id, stored.registered_by, stored.seq is not None) == ("G-x", "brg", True)


async def test_a_new_registration_never_takes_over_a_stored_id(units_of_work):
    """The table's primary key: saving a new registration under an id stored before (cancelled,
    or at another occurrence) fails, it does not bring the old row back."""
    await scheduled(units_of_work, event(), weeks=2)
    await registered(units_of_work, "E-1", STARTS, "a")
    [first] = (await occurrence_at(units_of_work)).registrations
    with pytest.raises(Exception):  # noqa: B017 - asyncpg's UniqueViolationError, the fake's ValueError
        async with units_of_work() as uow:
            occurrence = await uow.occurrences.get("E-1", STARTS + WEEK)
            assert occurrence is not None
            occurrence.registrations.append(dataclasses.replace(first, participant_ref="b", seq=None))
            await uow.occurrences.save(occurrence)
            await uow.commit()
    assert who(await occurrence_at(units_of_work)) == [("a", "registered")]
    assert who(await occurrence_at(units_of_work, starts_at=STARTS + WEEK)) == []


async def test_upcoming_places_of_a_resident_ordered_by_start_then_event(units_of_work):
    await scheduled(units_of_work, event("E-2", capacity=1), weeks=2)
    await scheduled(units_of_work, event("E-1", capacity=1), weeks=2)
    await registered(units_of_work, "E-2", STARTS, "b", "a")  # a waits
    await registered(units_of_work, "E-1", STARTS, "a")
    await registered(units_of_work, "E-2", STARTS + WEEK, "a")
    await registered(units_of_work, "E-1", STARTS + WEEK, "a")
    async with units_of_work() as uow:
        occurrence = await uow.occurrences.get("E-2", STARTS + WEEK)
        assert occurrence is not None
        occurrence.cancel("a")
        await uow.occurrences.save(occurrence)
        await uow.commit()
    async with units_of_work() as uow:
        assert await uow.occurrences.upcoming_of("a", STARTS - WEEK) == [
            ("E-1", STARTS),
            ("E-2", STARTS),
            ("E-1", STARTS + WEEK),
        ]
        assert await uow.occurrences.upcoming_of("a", STARTS) == [("E-1", STARTS + WEEK)]
        assert await uow.occurrences.upcoming_of("nobody", STARTS - WEEK) == []


async def test_an_erased_resident_leaves_the_counts_and_their_referrals_are_remembered(units_of_work):
    await scheduled(units_of_work, event(capacity=1))
    await registered(units_of_work, "E-1", STARTS, "a", "b")
    async with units_of_work() as uow:
        await uow.occurrences.erase_participant("a", ["R-a", "R-a-2"])
        await uow.commit()
    async with units_of_work() as uow:
        assert await uow.occurrences.referral_erased("R-a") and await uow.occurrences.referral_erased("R-a-2")
        assert not await uow.occurrences.referral_erased("R-b")
        assert await uow.occurrences.registration_of_referral("R-a") == ("E-1", STARTS, None)
        assert await uow.occurrences.upcoming_of("a", STARTS - WEEK) == []
    assert who(await occurrence_at(units_of_work)) == [(None, "registered"), ("b", "waitlisted")]


# Reminders


async def test_reminders_are_due_once_for_scheduled_occurrences_within_the_lead(units_of_work):
    await scheduled(units_of_work, event("E-1"), weeks=3)
    await scheduled(units_of_work, event("E-2", starts_at=STARTS + HOURS_2, ends_at=STARTS + 2 * HOURS_2))
    await registered(units_of_work, "E-1", STARTS, "a")
    async with units_of_work() as uow:
        closed = await uow.occurrences.get("E-1", STARTS + WEEK)
        assert closed is not None
        closed.close()
        await uow.occurrences.save(closed)
        await uow.commit()
    now = STARTS - timedelta(hours=1)
    async with units_of_work() as uow:
        due = await uow.occurrences.to_remind(now, now + 3 * WEEK, 10)
        assert [(e.id, o.starts_at) for e, o in due] == [
            ("E-1", STARTS),
            ("E-2", STARTS + HOURS_2),
            ("E-1", STARTS + 2 * WEEK),
        ]
        assert due[0][0] == event("E-1") and who(due[0][1]) == [("a", "registered")]
        assert [o.starts_at for _, o in await uow.occurrences.to_remind(now, STARTS + HOURS_2, 10)] == [
            STARTS,
            STARTS + HOURS_2,
        ]
        assert await uow.occurrences.to_remind(STARTS, STARTS + HOURS_2 - timedelta(seconds=1), 10) == []
        [(_, first)] = await uow.occurrences.to_remind(now, now + 3 * WEEK, 1)
        await uow.occurrences.reminded(first, now)
        await uow.commit()
    async with units_of_work() as uow:
        left = await uow.occurrences.to_remind(now, now + 3 * WEEK, 10)
        assert [(e.id, o.starts_at) for e, o in left] == [("E-2", STARTS + HOURS_2), ("E-1", STARTS + 2 * WEEK)]


async def test_a_moved_occurrence_is_not_reminded_of_again(units_of_work):
    await scheduled(units_of_work, event())
    now = STARTS - timedelta(hours=1)
    async with units_of_work() as uow:
        [(_, occurrence)] = await uow.occurrences.to_remind(now, STARTS, 10)
        await uow.occurrences.reminded(occurrence, now)
        occurrence.move(STARTS + HOURS_2, STARTS + 2 * HOURS_2)
        await uow.occurrences.move(occurrence, STARTS)
        await uow.commit()
    async with units_of_work() as uow:
        assert await uow.occurrences.to_remind(now, STARTS + WEEK, 10) == []
