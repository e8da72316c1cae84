"""Swedish working days and SLA deadlines, checked against known real dates."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from hubnet_referrals.domain.working_days import (
    add_working_days,
    easter_sunday,
    holidays,
    is_working_day,
    working_days_between,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=STOCKHOLM)


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2027, date(2027, 3, 28)),
        (2008, date(2008, 3, 23)),
        (2038, date(2038, 4, 25)),
    ],
)
def test_easter_sunday(year, easter):
    assert easter_sunday(year) == easter


def test_holidays_2025():
    h = holidays(2025)
    assert h[date(2025, 4, 20)] == "Påskdagen"
    assert h[date(2025, 4, 18)] == "Långfredagen"
    assert h[date(2025, 4, 21)] == "Annandag påsk"
    assert h[date(2025, 5, 29)] == "Kristi himmelsfärdsdag"
    assert h[date(2025, 6, 8)] == "Pingstdagen"
    assert h[date(2025, 6, 20)] == "Midsommarafton"
    assert h[date(2025, 6, 21)] == "Midsommardagen"
    assert h[date(2025, 11, 1)] == "Alla helgons dag"


def test_holidays_2026():
    h = holidays(2026)
    assert h[date(2026, 4, 5)] == "Påskdagen"
    assert h[date(2026, 4, 3)] == "Långfredagen"
    assert h[date(2026, 4, 6)] == "Annandag påsk"
    assert h[date(2026, 5, 14)] == "Kristi himmelsfärdsdag"
    assert h[date(2026, 6, 19)] == "Midsommarafton"
    assert h[date(2026, 10, 31)] == "Alla helgons dag"
    fixed = {
        (1, 1): "Nyårsdagen",
        (1, 6): "Trettondedag jul",
        (5, 1): "Första maj",
        (6, 6): "Sveriges nationaldag",
        (12, 24): "Julafton",
        (12, 25): "Juldagen",
        (12, 26): "Annandag jul",
        (12, 31): "Nyårsafton",
    }
    for (month, day), name in fixed.items():
        assert h[date(2026, month, day)] == name
    assert len(h) == 16


def test_coinciding_holidays_keep_both_names():
    assert holidays(2008)[date(2008, 5, 1)] == "Första maj / Kristi himmelsfärdsdag"


def test_holidays_returns_a_copy():
    holidays(2026).clear()
    assert date(2026, 12, 25) in holidays(2026)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 4, 2), True),
        (date(2026, 4, 3), False),
        (date(2026, 4, 6), False),
        (date(2026, 4, 7), True),
        (date(2026, 6, 19), False),
        (date(2026, 12, 23), True),
        (date(2026, 12, 24), False),
        (date(2026, 12, 28), True),
        (date(2026, 12, 31), False),
        (date(2026, 1, 6), False),
        (date(2026, 1, 3), False),
        (date(2026, 1, 4), False),
    ],
)
def test_is_working_day(day, working):
    assert is_working_day(day) is working


def test_deadline_example_from_friday():
    deadline = add_working_days(local(2026, 12, 18, 10), 2)
    assert deadline == local(2026, 12, 23)
    assert deadline.tzinfo is UTC


def test_deadline_across_christmas_2026():
    assert add_working_days(local(2026, 12, 23, 9), 1) == local(2026, 12, 29)
    assert add_working_days(local(2026, 12, 23, 9), 2) == local(2026, 12, 30)
    assert add_working_days(local(2026, 12, 23, 9), 3) == local(2026, 12, 31)
    assert add_working_days(local(2026, 12, 23, 9), 4) == local(2027, 1, 5)  # skips 31 Dec-3 Jan


def test_deadline_across_easter_2026():
    assert add_working_days(local(2026, 4, 2, 12), 1) == local(2026, 4, 8)


def test_deadline_across_october_dst_change_stays_at_local_midnight():
    # Summer time ends Sunday 25 Oct 2026: UTC+2 before, UTC+1 after.
    deadline = add_working_days(local(2026, 10, 23, 15), 1)
    assert deadline == datetime(2026, 10, 26, 23, tzinfo=UTC)  # 27 Oct 00:00 CET
    assert deadline.astimezone(STOCKHOLM) == local(2026, 10, 27)


def test_deadline_across_march_dst_change_stays_at_local_midnight():
    # Summer time starts Sunday 29 Mar 2026.
    deadline = add_working_days(local(2026, 3, 27, 15), 1)
    assert deadline == datetime(2026, 3, 30, 22, tzinfo=UTC)  # 31 Mar 00:00 CEST


def test_start_is_taken_in_local_time():
    # 23:30 UTC on Thursday is already Friday in Stockholm.
    start = datetime(2026, 12, 17, 23, 30, tzinfo=UTC)
    assert add_working_days(start, 1) == local(2026, 12, 22)


def test_deadline_properties_for_every_day_2024_to_2030():
    start_day = date(2024, 1, 1)
    while start_day <= date(2030, 12, 31):
        start = datetime.combine(start_day, time(13, 30), tzinfo=STOCKHOLM)
        previous = start
        for n in range(1, 6):
            deadline = add_working_days(start, n)
            local_deadline = deadline.astimezone(STOCKHOLM)
            assert local_deadline.time() == time(0)
            assert is_working_day(local_deadline.date() - timedelta(days=1))
            assert deadline > previous
            assert working_days_between(start, deadline - timedelta(microseconds=1)) == n
            previous = deadline
        start_day += timedelta(days=1)


def test_working_days_between():
    assert working_days_between(local(2026, 12, 18, 10), local(2026, 12, 22, 8)) == 2
    assert working_days_between(local(2026, 12, 23, 10), local(2027, 1, 4, 8)) == 4
    assert working_days_between(local(2026, 4, 2, 12), local(2026, 4, 7, 12)) == 1
    assert working_days_between(local(2026, 4, 2, 12), local(2026, 4, 2, 18)) == 0
    assert working_days_between(local(2026, 4, 7, 12), local(2026, 4, 2, 12)) == 0


@pytest.mark.parametrize("days", [0, -1])
def test_add_working_days_rejects_non_positive_days(days):
    with pytest.raises(ValueError, match="days"):
        add_working_days(local(2026, 4, 2, 12), days)


def test_naive_datetimes_are_rejected():
    with pytest.raises(ValueError, match="aware"):
        add_working_days(datetime(2026, 4, 2, 12), 1)
    with pytest.raises(ValueError, match="aware"):
        working_days_between(datetime(2026, 4, 2, 12), local(2026, 4, 7))
    with pytest.raises(ValueError, match="aware"):
        working_days_between(local(2026, 4, 2), datetime(2026, 4, 7, 12))
