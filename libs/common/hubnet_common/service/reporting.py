"""Follow-up figures of the services (`/report` of referrals, `/figures` of events): the fixed
reporting periods they are asked for and the small-cell rule (docs/adr/0009-fixed-reporting-periods.md).

A period is a run of whole calendar months in Stockholm time, at most `MAX_MONTHS` long. Figures
are counted per month and the other keys of the finest cell; a count from 1 to `SUPPRESS_BELOW - 1`
in such a cell is suppressed, and every coarser figure is the sum of the finest cells as they are
shown, a suppressed one counting 0. So every answer is a sum of shown cells, and no difference of
two answers (other periods, other groupings) is anything but such a sum: a suppressed count cannot
be recovered by subtraction."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")
SUPPRESS_BELOW = 5
MAX_MONTHS = 24
DEFAULT_MONTHS = 12
INVALID_PERIOD = "invalid-period"
_MONTH = re.compile(r"(\d{4})-(\d{2})")


class InvalidPeriod(ValueError):
    """A period that is not whole months, runs backwards or is longer than `MAX_MONTHS`."""

    code = INVALID_PERIOD


@dataclass(frozen=True)
class Period:
    """From the first month to the last, both included, each as its first day."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        """The first moment of the period (Stockholm midnight of its first day)."""
        return datetime.combine(self.first, time(0), tzinfo=STOCKHOLM)

    @property
    def end(self) -> datetime:
        """The first moment after the period."""
        return datetime.combine(_add_months(self.last, 1), time(0), tzinfo=STOCKHOLM)

    def months(self) -> list[str]:
        """ "YYYY-MM" of every month of the period, in order."""
        count = _months_between(self.first, self.last) + 1
        return [f"{_add_months(self.first, n):%Y-%m}" for n in range(count)]

    def __str__(self) -> str:
        return f"{self.first:%Y-%m}..{self.last:%Y-%m}"


def period(since: str | None, until: str | None, *, today: date) -> Period:
    """The period asked for as `since` and `until` months ("YYYY-MM", both included). Without
    `until` it ends with this month; without `since` it is the `DEFAULT_MONTHS` up to `until`."""
    last = _month(until, "until") if until else today.replace(day=1)
    first = _month(since, "since") if since else _add_months(last, 1 - DEFAULT_MONTHS)
    if first > last:
        raise InvalidPeriod(f"since ({first:%Y-%m}) is after until ({last:%Y-%m})")
    if _months_between(first, last) >= MAX_MONTHS:
        raise InvalidPeriod(
            f"{first:%Y-%m} to {last:%Y-%m} is longer than {MAX_MONTHS} months: ask for at most {MAX_MONTHS} at a time"
        )
    return Period(first, last)


def shown(count: int) -> int | None:
    """A count of a finest cell as it may be shown: None (shown "<5") from 1 to SUPPRESS_BELOW - 1."""
    return None if 0 < count < SUPPRESS_BELOW else count


def total(counts: list[int | None]) -> int:
    """A coarser figure: the sum of finest cells as shown, a suppressed one counting 0."""
    return sum(c for c in counts if c is not None)


def _month(text: str, name: str) -> date:
    match = _MONTH.fullmatch(text)
    if not match or not 1 <= int(match[2]) <= 12:
        raise InvalidPeriod(f"{name} must be a whole month, YYYY-MM (e.g. 2026-03), not {text!r}")
    return date(int(match[1]), int(match[2]), 1)


def _add_months(first_day: date, months: int) -> date:
    index = first_day.year * 12 + first_day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _months_between(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month
