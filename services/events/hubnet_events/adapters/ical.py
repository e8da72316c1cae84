"""Hub events as an iCalendar (RFC 5545) feed that calendar apps can subscribe to.

Times are written in Europe/Stockholm with a TZID and a VTIMEZONE, so a client
expands a recurring event's RRULE in Stockholm wall time, as `occurrences` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from icalendar import Calendar, Event, vRecur

from hubnet_events.domain.recurrence import STOCKHOLM, occurrences, validate_rrule

PRODID = "-//hubnet//hub events//SV"
_STATUS = {"scheduled": "CONFIRMED", "cancelled": "CANCELLED"}


@dataclass(frozen=True)
class FeedEvent:
    hub_event_id: str
    title: str
    description: str
    hub_name: str
    kind: str
    starts_at: datetime  # aware; the first occurrence when recurring
    ends_at: datetime
    rrule: str | None
    status: str  # "scheduled" or "cancelled"
    version: int
    capacity: int
    organiser: str


def _vevent(event: FeedEvent, stamp: datetime) -> tuple[Event, datetime]:
    """The VEVENT, and the end of the event's last occurrence (UTC)."""
    series = occurrences(event.starts_at, event.ends_at, event.rrule, tz=STOCKHOLM)
    first_start, first_end = series[0]
    vevent = Event()
    vevent.add("uid", f"{event.hub_event_id}@hubnet")
    vevent.add("dtstamp", stamp)
    vevent.add("dtstart", first_start.astimezone(STOCKHOLM))
    vevent.add("dtend", first_end.astimezone(STOCKHOLM))
    if event.rrule is not None:
        vevent.add("rrule", vRecur.from_ical(validate_rrule(event.rrule, STOCKHOLM)))
    vevent.add("summary", event.title)
    vevent.add("description", event.description)
    vevent.add("location", event.hub_name)
    vevent.add("categories", [event.kind])
    vevent.add("contact", event.organiser)
    vevent.add("status", _STATUS[event.status])
    vevent.add("sequence", max(event.version - 1, 0))
    vevent.add("x-hubnet-capacity", str(event.capacity))
    return vevent, series[-1][1]


def calendar_feed(name: str, events: list[FeedEvent], *, now: datetime | None = None) -> bytes:
    """An iCalendar document with one VEVENT per hub event (a recurring one carries its RRULE).

    `now` is the DTSTAMP of every VEVENT (default: the current time).
    Raises RecurrenceInvalid if an event's rule is invalid.
    """
    stamp = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Europe/Stockholm")
    first: datetime | None = None
    last: datetime | None = None
    for event in events:
        vevent, series_end = _vevent(event, stamp)
        cal.add_component(vevent)
        first = min(first or event.starts_at, event.starts_at)
        last = max(last or series_end, series_end)
    if first is not None and last is not None:
        # A VTIMEZONE covering the whole years of every occurrence, placed before the events that use it.
        cal.add_missing_timezones(first_date=date(first.year, 1, 1), last_date=date(last.year + 1, 1, 1))
    return cal.to_ical()
