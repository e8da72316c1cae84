"""The iCalendar feed of hub events: it parses, round-trips, and recurs as `occurrences` says."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from icalendar import Calendar, Event

from hubnet_events.adapters.ical import FeedEvent, calendar_feed
from hubnet_events.domain.recurrence import RecurrenceInvalid, occurrences

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NOW = datetime(2026, 10, 1, 8, 30, tzinfo=UTC)

POP_UP = FeedEvent(
    hub_event_id="he-1",
    title="Jobbpop-up med arbetsgivare",
    description="Träffa arbetsgivare, ta med ditt CV.",
    hub_name="Angereds framtidshub",
    kind="employer-meetup",
    starts_at=datetime(2026, 11, 12, 13, 0, tzinfo=UTC),
    ends_at=datetime(2026, 11, 12, 15, 30, tzinfo=UTC),
    rrule=None,
    status="scheduled",
    version=1,
    capacity=40,
    organiser="Arbetsförmedlingen",
)
LANGUAGE_CAFE = FeedEvent(
    hub_event_id="he-2",
    title="Språkcafé: öva svenska, fika på köpet",
    description="Samtal på lätt svenska; alla nivåer välkomna.\nÅterkommande varje tisdag och torsdag.",
    hub_name="Hjällbo framtidshub, Höjdgatan",
    kind="språkcafé",
    starts_at=datetime(2026, 10, 13, 18, 0, tzinfo=STOCKHOLM),
    ends_at=datetime(2026, 10, 13, 20, 0, tzinfo=STOCKHOLM),
    rrule="FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20261126",
    status="scheduled",
    version=3,
    capacity=25,
    organiser="Folkuniversitetet",
)


def parsed_events(*events: FeedEvent) -> dict[str, Event]:
    calendar = Calendar.from_ical(calendar_feed("Framtidshubbar", list(events), now=NOW))
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def test_the_feed_is_a_calendar_with_its_headers_and_a_stockholm_vtimezone() -> None:
    raw = calendar_feed("Framtidshubbar i Göteborg", [POP_UP, LANGUAGE_CAFE], now=NOW)
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n") and raw.endswith(b"END:VCALENDAR\r\n")
    calendar = Calendar.from_ical(raw)
    assert str(calendar["PRODID"]) == "-//hubnet//hub events//SV"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["X-WR-CALNAME"]) == "Framtidshubbar i Göteborg"
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/Stockholm"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Stockholm"]
    assert len(calendar.walk("VEVENT")) == 2
    assert b"DTSTART;TZID=Europe/Stockholm:20261013T180000" in raw  # local wall time, not UTC


def test_an_event_round_trips() -> None:
    event = parsed_events(POP_UP)["he-1@hubnet"]
    assert str(event["SUMMARY"]) == "Jobbpop-up med arbetsgivare"
    assert str(event["DESCRIPTION"]) == "Träffa arbetsgivare, ta med ditt CV."
    assert str(event["LOCATION"]) == "Angereds framtidshub"
    assert event["CATEGORIES"].cats == ["employer-meetup"]
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event["SEQUENCE"] == 0
    assert str(event["X-HUBNET-CAPACITY"]) == "40"
    assert str(event["CONTACT"]) == "Arbetsförmedlingen"
    assert event.decoded("DTSTAMP") == NOW.replace(microsecond=0)
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start.tzinfo is not None and start == POP_UP.starts_at
    assert end.tzinfo is not None and end == POP_UP.ends_at
    assert "RRULE" not in event


def test_a_recurring_event_carries_its_first_occurrence_and_rule() -> None:
    event = parsed_events(LANGUAGE_CAFE)["he-2@hubnet"]
    assert event.decoded("DTSTART") == LANGUAGE_CAFE.starts_at
    assert event.decoded("DTEND") == LANGUAGE_CAFE.ends_at
    assert event["RRULE"].to_ical() == b"FREQ=WEEKLY;UNTIL=20261126T225959Z;BYDAY=TU,TH"
    assert event["SEQUENCE"] == 2


def test_a_client_expanding_the_feed_gets_the_same_occurrences_as_the_domain() -> None:
    event = parsed_events(LANGUAGE_CAFE)["he-2@hubnet"]
    dtstart, dtend = event.decoded("DTSTART"), event.decoded("DTEND")
    rule = event["RRULE"].to_ical().decode()
    # What a calendar client does: expand DTSTART's wall time in its TZID, keep DTEND - DTSTART.
    client = [(s, s + (dtend - dtstart)) for s in rrulestr(rule, dtstart=dtstart)]
    expected = occurrences(LANGUAGE_CAFE.starts_at, LANGUAGE_CAFE.ends_at, LANGUAGE_CAFE.rrule)
    assert [(s.astimezone(UTC), e.astimezone(UTC)) for s, e in client] == expected
    assert len(expected) == 14
    assert expected[3][0] == datetime(2026, 10, 22, 16, tzinfo=UTC)  # CEST
    assert expected[4][0] == datetime(2026, 10, 27, 17, tzinfo=UTC)  # CET, still 18:00 local


def test_a_cancelled_event_is_status_cancelled() -> None:
    cancelled = replace(POP_UP, status="cancelled", version=2)
    event = parsed_events(cancelled)["he-1@hubnet"]
    assert str(event["STATUS"]) == "CANCELLED"
    assert event["SEQUENCE"] == 1


def test_swedish_characters_and_text_escapes_survive() -> None:
    long_text = "Åsa och Örjan visar hur man söker jobb på Göteborgs stad; ä, å, ö, Ä, Å, Ö. " * 5
    events = parsed_events(replace(LANGUAGE_CAFE, description=long_text))
    event = events["he-2@hubnet"]
    assert str(event["SUMMARY"]) == "Språkcafé: öva svenska, fika på köpet"
    assert str(event["LOCATION"]) == "Hjällbo framtidshub, Höjdgatan"
    assert str(event["DESCRIPTION"]) == long_text
    assert event["CATEGORIES"].cats == ["språkcafé"]
    raw = calendar_feed("Hubbar", [LANGUAGE_CAFE], now=NOW)
    assert "Språkcafé".encode() in raw
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))  # folded per RFC 5545, in octets


def test_an_empty_feed_is_still_a_calendar() -> None:
    calendar = Calendar.from_ical(calendar_feed("Tomt", [], now=NOW))
    assert calendar.walk("VEVENT") == [] and str(calendar["X-WR-CALNAME"]) == "Tomt"


def test_an_event_with_an_invalid_rule_is_refused() -> None:
    with pytest.raises(RecurrenceInvalid):
        calendar_feed("Hubbar", [replace(POP_UP, rrule="FREQ=WEEKLY")], now=NOW)


def test_dtstamp_defaults_to_now() -> None:
    stamp = Calendar.from_ical(calendar_feed("Hubbar", [POP_UP])).walk("VEVENT")[0].decoded("DTSTAMP")
    assert abs(stamp - datetime.now(UTC)) < timedelta(minutes=1)
