"""What staff read of an SLA clock: its deadline, and the working days left or passed (Swedish
working days, Stockholm time)."""

from datetime import UTC, datetime

import pytest

from hubnet_referrals.domain.sla import SlaClock, deadline, working_days_left

FRIDAY = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)  # 10:00 in Stockholm
END_OF_TUESDAY = datetime(2026, 3, 10, 23, 0, tzinfo=UTC)


def test_the_deadline_stays_where_it_was_when_breaches_move_the_clock_on():
    clock = SlaClock.start("R-1", "acknowledge", 2, FRIDAY)
    clock.breach()
    assert clock.due_at != END_OF_TUESDAY
    assert deadline(2, FRIDAY) == END_OF_TUESDAY


@pytest.mark.parametrize(
    ("now", "left"),
    [
        (datetime(2026, 3, 6, 15, 0, tzinfo=UTC), 2),  # Friday: Monday and Tuesday to go
        (datetime(2026, 3, 8, 12, 0, tzinfo=UTC), 2),  # Sunday: the same
        (datetime(2026, 3, 9, 12, 0, tzinfo=UTC), 1),  # Monday
        (datetime(2026, 3, 10, 22, 59, tzinfo=UTC), 0),  # Tuesday, 23:59 in Stockholm: due tonight
        (datetime(2026, 3, 10, 23, 0, tzinfo=UTC), -1),  # midnight: Wednesday has begun, one day late
        (datetime(2026, 3, 11, 8, 0, tzinfo=UTC), -1),  # Wednesday
        (datetime(2026, 3, 14, 8, 0, tzinfo=UTC), -3),  # Saturday: Wednesday to Friday passed
        (datetime(2026, 3, 16, 8, 0, tzinfo=UTC), -4),  # Monday
    ],
)
def test_working_days_left_count_down_and_then_below_zero(now, left):
    assert working_days_left(END_OF_TUESDAY, now) == left


def test_holidays_are_no_working_days_left():
    before_easter = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)  # Wednesday; Good Friday and Easter Monday off
    due = deadline(2, before_easter)
    assert due == datetime(2026, 4, 7, 22, 0, tzinfo=UTC)  # the end of Tuesday 7 April (summer time)
    assert working_days_left(due, before_easter) == 2
