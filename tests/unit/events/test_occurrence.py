"""Places, the waitlist and attendance of one occurrence (pure domain)."""

from datetime import UTC, datetime

import pytest

from hubnet_events.domain.occurrence import (
    AlreadyRegistered,
    CapacityBelowRegistrations,
    NotRegistered,
    Occurrence,
    OccurrenceClosed,
)

T = datetime(2026, 12, 10, 17, 0, tzinfo=UTC)


def evening(capacity: int, people: int) -> Occurrence:
    occurrence = Occurrence("E-1", T, T, capacity)
    for i in range(people):
        occurrence.register(f"G-{i}", f"ref-{i}", T)
    return occurrence


def test_places_then_the_waitlist_in_arrival_order():
    occurrence = evening(2, 5)
    assert [r.id for r in occurrence.registered] == ["G-0", "G-1"]
    assert [r.id for r in occurrence.waitlist] == ["G-2", "G-3", "G-4"]


def test_a_cancelled_place_goes_to_the_first_waiting_and_a_cancelled_wait_to_nobody():
    occurrence = evening(2, 4)
    _, moved = occurrence.cancel("ref-3")
    assert moved is None
    _, moved = occurrence.cancel("ref-0")
    assert moved.id == "G-2" and [r.id for r in occurrence.registered] == ["G-1", "G-2"]


def test_more_capacity_promotes_never_less_than_those_registered():
    occurrence = evening(2, 5)
    assert [r.id for r in occurrence.change_capacity(4)] == ["G-2", "G-3"]
    with pytest.raises(CapacityBelowRegistrations):
        occurrence.change_capacity(3)


def test_refusals():
    occurrence = evening(1, 1)
    with pytest.raises(AlreadyRegistered):
        occurrence.register("G-9", "ref-0", T)
    with pytest.raises(NotRegistered):
        occurrence.cancel("ref-unknown")
    assert occurrence.close() == 1
    with pytest.raises(OccurrenceClosed):
        occurrence.register("G-10", "ref-10", T)


def test_attendance_only_for_those_with_a_place():
    occurrence = evening(1, 2)
    occurrence.record_attendance(["ref-0"], [], walk_ins=3)
    assert occurrence.registered[0].attendance == "attended" and occurrence.walk_ins == 3
    with pytest.raises(NotRegistered):
        occurrence.record_attendance([], ["ref-1"], walk_ins=0)


def test_capacity_may_shrink_down_to_those_registered_and_the_refusal_says_how_many():
    occurrence = evening(4, 3)
    assert occurrence.change_capacity(3) == [] and occurrence.capacity == 3
    with pytest.raises(CapacityBelowRegistrations, match="3 residents are registered .*; capacity cannot be 2"):
        occurrence.change_capacity(2)


def test_a_no_show_is_recorded_as_such():
    occurrence = evening(2, 2)
    occurrence.record_attendance(["ref-0"], ["ref-1"], walk_ins=0)
    assert [r.attendance for r in occurrence.registered] == ["attended", "no-show"]


def test_closing_cancels_the_occurrence_and_every_place_and_wait_but_counts_only_those_active():
    occurrence = evening(1, 3)
    occurrence.cancel("ref-2")
    assert occurrence.close() == 2
    assert occurrence.status == "cancelled"
    assert [r.status for r in occurrence.registrations] == ["cancelled"] * 3
    assert occurrence.find("ref-0") is None
