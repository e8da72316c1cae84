"""Recurring hub events: which RRULEs are accepted, and their expansion in Stockholm wall time."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hubnet_common.sdk.errors import Refused
from hubnet_events.domain.recurrence import MAX_OCCURRENCES, RecurrenceInvalid, occurrences, validate_rrule

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=STOCKHOLM)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def starts(series: list[tuple[datetime, datetime]]) -> list[datetime]:
    return [start for start, _ in series]


# --- expansion ------------------------------------------------------------------------------


def test_weekly_series_stays_at_local_18_across_the_autumn_dst_change() -> None:
    series = occurrences(local(2026, 10, 13, 18), local(2026, 10, 13, 20), "FREQ=WEEKLY;COUNT=4")
    assert starts(series) == [utc(2026, 10, 13, 16), utc(2026, 10, 20, 16), utc(2026, 10, 27, 17), utc(2026, 11, 3, 17)]
    for start, end in series:
        assert start.tzinfo is UTC and end.tzinfo is UTC
        assert start.astimezone(STOCKHOLM).hour == 18 and end.astimezone(STOCKHOLM).hour == 20
        assert end - start == timedelta(hours=2)


def test_weekly_series_stays_at_local_18_across_the_spring_dst_change() -> None:
    series = occurrences(local(2026, 3, 24, 18), local(2026, 3, 24, 19, 30), "FREQ=WEEKLY;COUNT=2")
    assert series == [
        (utc(2026, 3, 24, 17), utc(2026, 3, 24, 18, 30)),
        (utc(2026, 3, 31, 16), utc(2026, 3, 31, 17, 30)),
    ]


def test_duration_is_kept_in_wall_clock_terms_over_the_night_of_the_change() -> None:
    series = occurrences(local(2026, 10, 23, 20), local(2026, 10, 24, 8), "FREQ=DAILY;COUNT=3")
    assert [(s.astimezone(STOCKHOLM).hour, e.astimezone(STOCKHOLM).hour) for s, e in series] == [(20, 8)] * 3
    assert [e - s for s, e in series] == [timedelta(hours=12), timedelta(hours=13), timedelta(hours=12)]


def test_count_gives_that_many_occurrences() -> None:
    series = occurrences(utc(2026, 11, 2, 9), utc(2026, 11, 2, 10), "FREQ=DAILY;INTERVAL=2;COUNT=5")
    assert starts(series) == [utc(2026, 11, d, 9) for d in (2, 4, 6, 8, 10)]


def test_until_as_a_date_includes_that_local_day() -> None:
    series = occurrences(local(2026, 11, 3, 18), local(2026, 11, 3, 20), "FREQ=WEEKLY;UNTIL=20261117")
    assert starts(series) == [utc(2026, 11, 3, 17), utc(2026, 11, 10, 17), utc(2026, 11, 17, 17)]


def test_until_as_a_utc_time_is_inclusive() -> None:
    rule = "FREQ=WEEKLY;UNTIL=20261117T170000Z"
    assert len(occurrences(local(2026, 11, 3, 18), local(2026, 11, 3, 20), rule)) == 3
    rule = "FREQ=WEEKLY;UNTIL=20261117T165959Z"
    assert len(occurrences(local(2026, 11, 3, 18), local(2026, 11, 3, 20), rule)) == 2


def test_byday_tuesdays_and_thursdays() -> None:
    series = occurrences(local(2026, 11, 3, 18), local(2026, 11, 3, 20), "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=5")
    assert [s.astimezone(STOCKHOLM).strftime("%a %d") for s in starts(series)] == [
        "Tue 03", "Thu 05", "Tue 10", "Thu 12", "Tue 17",
    ]  # fmt: skip
    assert {s.astimezone(STOCKHOLM).hour for s in starts(series)} == {18}


def test_monthly_on_a_day_of_the_month() -> None:
    series = occurrences(local(2026, 9, 15, 10), local(2026, 9, 15, 12), "FREQ=MONTHLY;BYMONTHDAY=15;COUNT=3")
    assert starts(series) == [utc(2026, 9, 15, 8), utc(2026, 10, 15, 8), utc(2026, 11, 15, 9)]


def test_no_rule_is_a_single_occurrence_in_utc() -> None:
    assert occurrences(local(2026, 10, 25, 18), local(2026, 10, 25, 20), None) == [
        (utc(2026, 10, 25, 17), utc(2026, 10, 25, 19))
    ]


def test_a_series_of_exactly_the_maximum_is_accepted() -> None:
    series = occurrences(utc(2026, 1, 1, 9), utc(2026, 1, 1, 10), f"FREQ=DAILY;COUNT={MAX_OCCURRENCES}")
    assert len(series) == 200


def test_naive_or_reversed_times_are_programming_errors() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        occurrences(datetime(2026, 11, 3, 18), utc(2026, 11, 3, 20), None)
    with pytest.raises(ValueError, match="after"):
        occurrences(utc(2026, 11, 3, 20), utc(2026, 11, 3, 18), None)


# --- validation -----------------------------------------------------------------------------


def test_rules_are_normalised() -> None:
    assert validate_rrule(" rrule:freq=weekly;interval=1;byday=th,tu;count=3 ") == "FREQ=WEEKLY;COUNT=3;BYDAY=TU,TH"
    monthly = validate_rrule("FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=15,1;COUNT=4")
    assert monthly == "FREQ=MONTHLY;INTERVAL=2;COUNT=4;BYMONTHDAY=1,15"
    # A date UNTIL becomes the end of that Stockholm day in UTC (CET in December, CEST in June).
    assert validate_rrule("FREQ=DAILY;UNTIL=20261231") == "FREQ=DAILY;UNTIL=20261231T225959Z"
    assert validate_rrule("FREQ=DAILY;UNTIL=20260630") == "FREQ=DAILY;UNTIL=20260630T215959Z"
    assert validate_rrule("FREQ=DAILY;UNTIL=20261231T170000Z") == "FREQ=DAILY;UNTIL=20261231T170000Z"


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        ("FREQ=WEEKLY", "a series must end"),
        ("FREQ=WEEKLY;BYDAY=TU", "a series must end"),
        ("FREQ=WEEKLY;COUNT=3;UNTIL=20261231", "not both"),
        ("FREQ=HOURLY;COUNT=3", "FREQ must be one of DAILY, WEEKLY, MONTHLY, not HOURLY"),
        ("FREQ=YEARLY;COUNT=3", "not YEARLY"),
        ("COUNT=3", "not missing"),
        ("FREQ=DAILY;COUNT=500", "at most 200 occurrences, not 500"),
        ("FREQ=DAILY;COUNT=0", "at least 1"),
        ("FREQ=DAILY;INTERVAL=x;COUNT=3", "INTERVAL must be a whole number"),
        ("every tuesday please", "not a recurrence rule"),
        ("", "FREQ must be one of"),
        ("FREQ=DAILY;COUNT=3;COUNT=4", "more than once"),
        ("FREQ=MONTHLY;COUNT=3;BYSETPOS=-1", "BYSETPOS is not supported"),
        ("FREQ=DAILY;COUNT=3;BYHOUR=9,18", "BYHOUR is not supported"),
        ("FREQ=DAILY;BYDAY=MO;COUNT=3", "BYDAY is only for FREQ=WEEKLY"),
        ("FREQ=WEEKLY;BYDAY=1TU;COUNT=3", "distinct weekdays"),
        ("FREQ=WEEKLY;BYDAY=TU,TU;COUNT=3", "distinct weekdays"),
        ("FREQ=WEEKLY;BYMONTHDAY=3;COUNT=3", "BYMONTHDAY is only for FREQ=MONTHLY"),
        ("FREQ=MONTHLY;BYMONTHDAY=32;COUNT=3", "days 1 to 31"),
        ("FREQ=DAILY;UNTIL=20261231T170000", "UTC time"),
        ("FREQ=DAILY;UNTIL=tomorrow", "UNTIL must be a date"),
        ("FREQ=DAILY;UNTIL=20261340", "not a real date"),
        ("FREQ=DAILY;COUNT=٣", "whole number"),
    ],
)
def test_refused_rules_say_why(rule: str, reason: str) -> None:
    with pytest.raises(RecurrenceInvalid, match=reason) as refused:
        validate_rrule(rule)
    assert isinstance(refused.value, Refused)
    assert refused.value.code == "recurrence-invalid"
    assert reason in refused.value.reason
    with pytest.raises(RecurrenceInvalid):  # occurrences() checks the rule too
        occurrences(local(2026, 11, 3, 18), local(2026, 11, 3, 20), rule)


def test_an_until_series_longer_than_the_limit_is_refused_on_expansion() -> None:
    rule = validate_rrule("FREQ=DAILY;UNTIL=20271231")  # the length depends on the start
    with pytest.raises(RecurrenceInvalid, match="more than 200 occurrences"):
        occurrences(local(2026, 11, 3, 18), local(2026, 11, 3, 20), rule)
    with pytest.raises(RecurrenceInvalid, match="more than 10 occurrences"):
        occurrences(local(2026, 11, 3, 18), local(2026, 11, 3, 20), "FREQ=DAILY;COUNT=11", limit=10)


def test_a_start_that_is_not_an_occurrence_of_its_rule_is_refused() -> None:
    with pytest.raises(RecurrenceInvalid, match="not itself an occurrence"):  # a Wednesday
        occurrences(local(2026, 11, 4, 18), local(2026, 11, 4, 20), "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=4")
    with pytest.raises(RecurrenceInvalid, match="not itself an occurrence"):  # ends before it starts
        occurrences(local(2026, 11, 4, 18), local(2026, 11, 4, 20), "FREQ=DAILY;UNTIL=20261101")
