"""Hub events as the portal's pages show them, and the forms staff fill in: words for the kinds
and refusals (gettext ids), a start and end from a Stockholm date and times, how long the consent
behind a registration lasts, and a resident's reference shortened for a person to tell apart."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, get_args
from zoneinfo import ZoneInfo

from hubnet_common.sdk.messages.hubevent_commands import HubEventKind
from hubnet_portal.domain.words import N_

STOCKHOLM = ZoneInfo("Europe/Stockholm")
REF = re.compile(r"^[0-9a-f]{64}$")
HUB_EVENT_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
LANGUAGE = re.compile(r"^[a-z]{2,3}$")
# A registration's consent lasts until the last occurrence is over and its attendance written down.
CONSENT_AFTER_LAST = timedelta(days=30)

KIND = {
    "pop-up": N_("Pop-up"),
    "information-evening": N_("Information evening"),
    "employer-meetup": N_("Employer meet-up"),
    "cv-drop-in": N_("CV drop-in"),
    "study-guidance": N_("Study guidance"),
    "business-coaching": N_("Business coaching"),
    "other": N_("Other"),
}
assert set(KIND) == set(get_args(HubEventKind)), "a kind of hub event without words"

REFUSAL = {
    "already-registered": N_("The resident is already registered for this occasion."),
    "occurrence-closed": N_("The occasion is cancelled or over."),
    "occurrence-unknown": N_("There is no such occasion of the hub event."),
    "hub-event-unknown": N_("There is no such hub event."),
    "hub-event-cancelled": N_("The hub event is cancelled."),
    "hub-unknown": N_("There is no such hub."),
    "not-permitted": N_("Only the organisers, or the organisation that registered the resident, may do that."),
    "not-registered": N_("The resident has no place at this occasion."),
    "invalid-personnummer": N_("That is not a valid personnummer or samordningsnummer."),
    "recurrence-invalid": N_("The repetition is not valid."),
    "organiser-unknown": N_("Your organisation is not in the directory."),
}
FORM_INVALID = N_("Some of the form is missing or not valid: look at it again.")
NUMBER_INVALID = REFUSAL["invalid-personnummer"]
CONSENT_MISSING = N_("Note the resident's consent first.")
HAS_PLACE = N_("The resident has a place.")
ON_WAITLIST = N_("The occasion is full: the resident is on the waitlist.")


def kind_words(kind: str) -> str:
    return KIND.get(kind, kind)


def refusal_words(code: str, otherwise: str) -> str:
    return REFUSAL.get(code, otherwise)


def short_ref(participant_ref: str) -> str:
    """Enough of a pseudonymous reference to tell the residents of one list apart; it says nobody's name."""
    return participant_ref[:8]


@dataclass(frozen=True)
class Schedule:
    """What the schedule form asks for, as the staff member wrote it."""

    hub_id: str
    kind: str
    title: str
    description: str
    day: str  # YYYY-MM-DD
    starts: str  # HH:MM, Stockholm
    ends: str
    capacity: int | None
    languages: str  # codes, separated by commas or spaces

    def command_fields(self) -> dict[str, Any]:
        """The fields of a ScheduleHubEvent; ValueError when a date, a time or a language is not one."""
        day = date.fromisoformat(self.day)
        starts_at = datetime.combine(day, time.fromisoformat(self.starts), STOCKHOLM)
        ends_at = datetime.combine(day, time.fromisoformat(self.ends), STOCKHOLM)
        languages = [code for code in re.split(r"[\s,]+", self.languages.strip().lower()) if code] or ["sv"]
        if not all(LANGUAGE.match(code) for code in languages):
            raise ValueError("a language is a code of two or three letters")
        return {
            "hub_id": self.hub_id,
            "kind": self.kind,
            "title": self.title,
            "description": self.description,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "capacity": self.capacity,
            "languages": languages,
        }


def occasion(event: dict[str, Any], at: str | None) -> dict[str, Any] | None:
    """The occurrence a page is about: the one starting `at`, else the first not over, else the last."""
    occurrences = event.get("occurrences") or []
    if at:
        chosen = [o for o in occurrences if _same_time(o["starts_at"], at)]
        if chosen:
            return chosen[0]
    if not occurrences:
        return None
    now = datetime.now(STOCKHOLM)
    coming = [o for o in occurrences if datetime.fromisoformat(o["ends_at"]) > now]
    return coming[0] if coming else occurrences[-1]


def registrations_at(event: dict[str, Any], occurrence: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {**r, "short_ref": short_ref(r["participant_ref"])}
        for r in event.get("registrations", [])
        if _same_time(r["occurrence_starts_at"], occurrence["starts_at"])
    ]


def consent_until(event: dict[str, Any]) -> datetime:
    ends = [datetime.fromisoformat(o["ends_at"]) for o in event.get("occurrences") or []]
    return max(ends or [datetime.fromisoformat(event["ends_at"])]) + CONSENT_AFTER_LAST


def _same_time(a: str, b: str) -> bool:
    try:
        return datetime.fromisoformat(a) == datetime.fromisoformat(b)
    except ValueError:
        return False
