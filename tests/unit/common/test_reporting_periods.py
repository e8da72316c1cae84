"""Reporting periods of the follow-up figures: whole months in Stockholm time, at most 24 of them,
and a clear refusal of anything else (hubnet_common/service/reporting.py)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from hubnet_common.service.reporting import MAX_MONTHS, InvalidPeriod, period, shown, total

TODAY = date(2026, 12, 1)
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def test_a_period_runs_from_the_first_moment_of_since_to_the_end_of_until_in_stockholm_time():
    asked = period("2026-01", "2026-03", today=TODAY)
    assert asked.months() == ["2026-01", "2026-02", "2026-03"]
    assert asked.start == datetime(2026, 1, 1, tzinfo=STOCKHOLM)
    assert asked.end == datetime(2026, 4, 1, tzinfo=STOCKHOLM)
    assert period("2025-12", "2025-12", today=TODAY).end == datetime(2026, 1, 1, tzinfo=STOCKHOLM)


def test_without_bounds_it_is_the_twelve_months_up_to_this_one():
    assert period(None, None, today=date(2026, 3, 17)).months()[::11] == ["2025-04", "2026-03"]
    assert period("2026-02", None, today=date(2026, 3, 17)).months() == ["2026-02", "2026-03"]
    assert period(None, "2024-06", today=TODAY).months()[0] == "2023-07"


def test_at_most_twenty_four_months_are_asked_at_a_time():
    assert len(period("2025-01", "2026-12", today=TODAY).months()) == MAX_MONTHS == 24
    with pytest.raises(InvalidPeriod, match="longer than 24 months"):
        period("2024-12", "2026-12", today=TODAY)
    with pytest.raises(InvalidPeriod, match="longer than 24 months"):
        period("1970-01", None, today=TODAY)


@pytest.mark.parametrize(
    ("since", "until", "why"),
    [
        ("2026-03-05", "2026-04", "since must be a whole month"),
        ("2026-03", "2026-04-30", "until must be a whole month"),
        ("2026-13", None, "since must be a whole month"),
        ("march", None, "since must be a whole month"),
        ("2026-05", "2026-04", "is after until"),
    ],
)
def test_anything_but_whole_months_in_order_is_refused_with_a_clear_reason(since, until, why):
    with pytest.raises(InvalidPeriod, match=why) as refused:
        period(since, until, today=TODAY)
    assert refused.value.code == "invalid-period"


def test_a_small_count_is_suppressed_and_a_total_leaves_it_out():
    assert [shown(n) for n in (0, 1, 4, 5)] == [0, None, None, 5]
    assert total([shown(n) for n in (3, 5, 0, 7)]) == 12
