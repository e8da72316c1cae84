"""Recurring hub events: a subset of RFC 5545 RRULE, expanded in Stockholm wall time.

Accepted: FREQ=DAILY|WEEKLY|MONTHLY, INTERVAL, COUNT or UNTIL (one of them is
required: no endless series), BYDAY (weekly, plain weekdays) and BYMONTHDAY
(monthly). A series may have at most MAX_OCCURRENCES occurrences.

Pure domain: no I/O.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, tzinfo
from itertools import islice
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from hubnet_common.sdk.errors import Refused

STOCKHOLM = ZoneInfo("Europe/Stockholm")
MAX_OCCURRENCES = 200
_FREQS = ("DAILY", "WEEKLY", "MONTHLY")
_DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
_PARTS = ("FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY")


class RecurrenceInvalid(Refused):
    """A recurrence rule hubnet does not accept."""

    code = "recurrence-invalid"


def _positive(name: str, value: str) -> int:
    if not re.fullmatch(r"[0-9]+", value) or int(value) < 1:
        raise RecurrenceInvalid(f"{name} must be a whole number of at least 1, not {value!r}")
    return int(value)


def _until(value: str, tz: tzinfo) -> datetime:
    """UNTIL as a UTC datetime; a date means the end of that local day."""
    try:
        if re.fullmatch(r"[0-9]{8}", value):
            day = date(int(value[:4]), int(value[4:6]), int(value[6:]))
            return datetime.combine(day, time(23, 59, 59), tzinfo=tz).astimezone(UTC)
        if re.fullmatch(r"[0-9]{8}T[0-9]{6}Z", value):
            return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        raise RecurrenceInvalid(f"UNTIL {value!r} is not a real date or time") from None
    raise RecurrenceInvalid(f"UNTIL must be a date (20261231) or a UTC time (20261231T170000Z), not {value!r}")


def _parse(rule: str, tz: tzinfo) -> dict[str, str]:
    """The rule's parts, checked and normalised, in the order they are written."""
    parts: dict[str, str] = {}
    for part in filter(None, rule.strip().upper().removeprefix("RRULE:").split(";")):
        name, sep, value = part.partition("=")
        if not sep or not re.fullmatch(r"[A-Z-]+", name) or not value:
            raise RecurrenceInvalid(f"{rule!r} is not a recurrence rule: expected NAME=VALUE parts separated by ';'")
        if name not in _PARTS:
            raise RecurrenceInvalid(f"{name} is not supported in a recurrence rule; use only {', '.join(_PARTS)}")
        if name in parts:
            raise RecurrenceInvalid(f"{name} is given more than once")
        parts[name] = value
    freq = parts.get("FREQ")
    if freq not in _FREQS:
        raise RecurrenceInvalid(f"FREQ must be one of {', '.join(_FREQS)}, not {freq or 'missing'}")
    if ("COUNT" in parts) == ("UNTIL" in parts):
        raise RecurrenceInvalid("give either COUNT or UNTIL (not both): a series must end")
    out = {"FREQ": freq, "INTERVAL": str(_positive("INTERVAL", parts.get("INTERVAL", "1")))}
    if "COUNT" in parts:
        if (count := _positive("COUNT", parts["COUNT"])) > MAX_OCCURRENCES:
            raise RecurrenceInvalid(f"a series may have at most {MAX_OCCURRENCES} occurrences, not {count}")
        out["COUNT"] = str(count)
    else:
        out["UNTIL"] = f"{_until(parts['UNTIL'], tz):%Y%m%dT%H%M%SZ}"
    if "BYDAY" in parts:
        days = parts["BYDAY"].split(",")
        if freq != "WEEKLY" or any(d not in _DAYS for d in days) or len(set(days)) != len(days):
            raise RecurrenceInvalid("BYDAY is only for FREQ=WEEKLY, as distinct weekdays MO,TU,WE,TH,FR,SA,SU")
        out["BYDAY"] = ",".join(sorted(days, key=_DAYS.index))
    if "BYMONTHDAY" in parts:
        values = parts["BYMONTHDAY"].split(",")
        if freq != "MONTHLY" or not all(re.fullmatch(r"-?[0-9]{1,2}", v) and 1 <= abs(int(v)) <= 31 for v in values):
            raise RecurrenceInvalid("BYMONTHDAY is only for FREQ=MONTHLY, as days 1 to 31 (or -1 to -31)")
        out["BYMONTHDAY"] = ",".join(map(str, sorted({int(v) for v in values})))
    if out["INTERVAL"] == "1":
        del out["INTERVAL"]
    return out


def validate_rrule(rule: str, tz: tzinfo = STOCKHOLM) -> str:
    """The normalised rule, or RecurrenceInvalid with the reason.

    Normalised: upper case, no "RRULE:" prefix, parts in a fixed order, no INTERVAL=1,
    and UNTIL always a UTC time (a date means the end of that day in `tz`), as
    RFC 5545 requires beside a DTSTART with a TZID.
    """
    return ";".join(f"{name}={value}" for name, value in _parse(rule, tz).items())


def occurrences(
    starts_at: datetime, ends_at: datetime, rrule: str | None, tz: tzinfo = STOCKHOLM, limit: int = MAX_OCCURRENCES
) -> list[tuple[datetime, datetime]]:
    """(start, end) of every occurrence, in UTC, oldest first.

    The rule is expanded in `tz` wall time, as a calendar client expands an RRULE
    beside a DTSTART with a TZID: an event at 18:00 stays at 18:00 local across DST
    changes, with the same wall-clock duration. The event's start must be the first
    occurrence. Raises RecurrenceInvalid for a bad rule or more than `limit` occurrences.
    """
    for what, moment in (("starts_at", starts_at), ("ends_at", ends_at)):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"{what} must be a timezone-aware datetime")
    if ends_at <= starts_at:
        raise ValueError("ends_at must be after starts_at")
    if rrule is None:
        return [(starts_at.astimezone(UTC), ends_at.astimezone(UTC))]
    start, end = starts_at.astimezone(tz), ends_at.astimezone(tz)
    duration = end.replace(tzinfo=None) - start.replace(tzinfo=None)  # wall-clock
    local = list(islice(rrulestr(validate_rrule(rrule, tz), dtstart=start), limit + 1))
    if len(local) > limit:
        raise RecurrenceInvalid(f"the series has more than {limit} occurrences; end it sooner")
    if not local or local[0] != start:
        raise RecurrenceInvalid("the event's start is not itself an occurrence of its recurrence rule")
    return [(s.astimezone(UTC), (s + duration).astimezone(UTC)) for s in local]
