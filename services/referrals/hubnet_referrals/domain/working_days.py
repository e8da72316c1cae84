"""Swedish working days, for referral SLAs ("acknowledge within N working days").

A working day is a day that is neither a Saturday, a Sunday nor a Swedish
public holiday. The holidays are computed for any year, not read from a table.
Besides the statutory holidays, Midsummer Eve, Christmas Eve and New Year's
Eve count as non-working days: they are not public holidays by law, but are
de facto days off in Swedish public administration.

Deadlines are counted in Stockholm local time and returned in UTC.
"""

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")
_DAY = timedelta(days=1)


def easter_sunday(year: int) -> date:
    """Easter Sunday in the Gregorian calendar (anonymous Gregorian / Meeus algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 - the algorithm's own name
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _weekday_between(year: int, month: int, first_day: int, weekday: int) -> date:
    """The date with `weekday` (Monday=0) in the seven days starting `first_day`."""
    first = date(year, month, first_day)
    return first + timedelta(days=(weekday - first.weekday()) % 7)


@lru_cache(maxsize=64)
def _holidays(year: int) -> dict[date, str]:
    easter = easter_sunday(year)
    midsummer_eve = _weekday_between(year, 6, 19, 4)  # Friday 19-25 June
    entries = [
        (date(year, 1, 1), "Nyårsdagen"),
        (date(year, 1, 6), "Trettondedag jul"),
        (easter - 2 * _DAY, "Långfredagen"),
        (easter, "Påskdagen"),
        (easter + _DAY, "Annandag påsk"),
        (date(year, 5, 1), "Första maj"),
        (easter + 39 * _DAY, "Kristi himmelsfärdsdag"),
        (easter + 49 * _DAY, "Pingstdagen"),
        (date(year, 6, 6), "Sveriges nationaldag"),
        (midsummer_eve, "Midsommarafton"),
        (midsummer_eve + _DAY, "Midsommardagen"),
        (_weekday_between(year, 10, 31, 5), "Alla helgons dag"),  # Saturday 31 Oct-6 Nov
        (date(year, 12, 24), "Julafton"),
        (date(year, 12, 25), "Juldagen"),
        (date(year, 12, 26), "Annandag jul"),
        (date(year, 12, 31), "Nyårsafton"),
    ]
    result: dict[date, str] = {}
    for day, name in entries:  # two holidays can coincide, e.g. Ascension on 1 May 2008
        result[day] = f"{result[day]} / {name}" if day in result else name
    return result


def holidays(year: int) -> dict[date, str]:
    """Swedish holidays and de facto non-working days of `year`: date -> Swedish name."""
    return dict(_holidays(year))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def _local_date(moment: datetime, tz: tzinfo, what: str) -> date:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime")
    return moment.astimezone(tz).date()


def add_working_days(start: datetime, days: int, tz: tzinfo = STOCKHOLM) -> datetime:
    """The deadline `days` working days after `start`, as an aware UTC datetime.

    The deadline is the end (24:00 local time) of the `days`-th working day
    after the local date of `start`.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    day = _local_date(start, tz, "start")
    remaining = days
    while remaining:
        day += _DAY
        if is_working_day(day):
            remaining -= 1
    # Local midnight is built in `tz`, so DST changes cannot shift it.
    return datetime.combine(day + _DAY, time(0), tzinfo=tz).astimezone(UTC)


def working_days_between(start: datetime, end: datetime, tz: tzinfo = STOCKHOLM) -> int:
    """Working days after the local date of `start` up to and including that of `end`."""
    first = _local_date(start, tz, "start")
    last = _local_date(end, tz, "end")
    return sum(is_working_day(first + n * _DAY) for n in range(1, (last - first).days + 1))
