"""Recurrence at its edges: the last day of a month, an event of no length, and an UNTIL date
that ends at midnight in Stockholm, not in UTC."""

import pytest

from hubnet_events.domain.recurrence import occurrences, validate_rrule
from tests.unit.events.test_recurrence import local, starts, utc


def test_the_thirty_first_and_the_last_day_of_the_month_are_accepted():
    assert validate_rrule("FREQ=MONTHLY;BYMONTHDAY=31,-31;COUNT=2") == "FREQ=MONTHLY;COUNT=2;BYMONTHDAY=-31,31"


def test_an_event_that_ends_when_it_starts_is_refused():
    with pytest.raises(ValueError, match="after"):
        occurrences(utc(2026, 11, 3, 18), utc(2026, 11, 3, 18), None)


def test_a_series_until_a_date_ends_at_midnight_in_stockholm():
    # 00:30 in Stockholm is 23:30 UTC the day before: the 6th's is already past the 5th's midnight
    series = occurrences(local(2026, 11, 3, 0, 30), local(2026, 11, 3, 1, 30), "FREQ=DAILY;UNTIL=20261105")
    assert starts(series) == [utc(2026, 11, 2, 23, 30), utc(2026, 11, 3, 23, 30), utc(2026, 11, 4, 23, 30)]
