"""A new referral as staff fill it in: the services a search finds (with their places), and the
form read into what the network is sent, or into the words to show beside each field.

The personnummer is checked here and nowhere kept: the form's `Draft` holds no trace of it
(handlers/refer.py seals it to the referrals service and forgets it)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from hubnet_common.sdk.messages.vocabulary import ConsentMethod, Purpose
from hubnet_common.sdk.participant import InvalidPersonalNumber, normalise
from hubnet_common.sdk.sealing import ContactDetails
from hubnet_portal.domain.words import N_

STOCKHOLM = ZoneInfo("Europe/Stockholm")
CONSENT_DAYS = 365  # the validity the form proposes
NEED_MAX = 4000

PERSONNUMMER_INVALID = N_("Write the resident's personnummer or samordningsnummer, e.g. 19900101-0017.")
SERVICE_MISSING = N_("Choose a service with places available.")
SERVICE_FULL = N_("That service is full: choose another.")
PARTNERS_MISSING = N_("The consent must name the organisation of the service you refer to.")
PURPOSES_MISSING = N_("The consent must cover the need you refer for.")
METHOD_MISSING = N_("Choose how the resident gave their consent.")
VALID_UNTIL_INVALID = N_("Give a date after today, e.g. 2027-12-01.")
NAME_MISSING = N_("Write the resident's name, so the service can reach them.")
CONTACT_INVALID = N_("Too long: shorten it.")
NEED_INVALID = N_("Write what the resident needs (at most 4000 characters).")


PURPOSE = {
    Purpose.WORK: N_("Work"),
    Purpose.STUDIES: N_("Studies"),
    Purpose.OWN_BUSINESS: N_("Own business"),
    Purpose.WORK_TRAINING: N_("Work training"),
    Purpose.GUIDANCE: N_("Guidance"),
}
METHOD = {
    ConsentMethod.WRITTEN: N_("In writing"),
    ConsentMethod.VERBAL: N_("Orally, noted by me"),
    ConsentMethod.DIGITAL: N_("Digitally"),
}
# Each field's name, as the list of problems above the form names it.
LABEL = {
    "service": N_("Service"),
    "personnummer": N_("Personnummer"),
    "consent_partners": N_("Organisations the consent covers"),
    "purposes": N_("What the consent covers"),
    "method": N_("How the consent was given"),
    "valid_until": N_("Consent valid until"),
    "name": N_("Name"),
    "phone": N_("Phone"),
    "email": N_("E-mail"),
    "need_text": N_("The resident's need"),
}


@dataclass(frozen=True)
class Search:
    """What staff look for: a hub, a need and, if they choose, a language spoken."""

    hub_id: str
    need: Purpose
    language: str | None = None


@dataclass(frozen=True)
class Choice:
    """A service the search found, with the places it has now (None: it does not count them)."""

    id: str
    name: str
    partner_id: str
    partner_name: str
    available: int | None
    languages: tuple[str, ...] = ()

    @property
    def full(self) -> bool:
        return self.available is not None and self.available <= 0


@dataclass(frozen=True)
class Draft:
    """Everything the network is sent, but the personnummer."""

    search: Search
    service: Choice
    partner_ids: tuple[str, ...]
    purposes: tuple[Purpose, ...]
    method: ConsentMethod
    given_at: datetime
    valid_until: datetime
    contact: ContactDetails
    need: str


def search_of(params: Mapping[str, str], hubs: Sequence[str]) -> Search | None:
    """The search in a page's query, if it names a known hub and need."""
    hub, need, language = params.get("hub", ""), params.get("need", ""), params.get("language", "")
    if hub not in hubs or need not in set(Purpose):
        return None
    return Search(hub, Purpose(need), language or None)


def choices(found: Sequence[Mapping]) -> list[Choice]:
    """The services a directory search found (HSDS services with their organisation and
    capacity), open ones first; inactive services are not offered."""
    made = [
        Choice(
            id=service["id"],
            name=service.get("name", service["id"]),
            partner_id=service.get("organization_id", ""),
            partner_name=(service.get("organization") or {}).get("name", service.get("organization_id", "")),
            available=next((c.get("available") for c in service.get("capacities") or ()), None),
            languages=tuple(lang.get("code", "") for lang in service.get("languages") or ()),
        )
        for service in found
        if service.get("status", "active") == "active"
    ]
    return sorted(made, key=lambda c: (c.full, c.name))


def personnummer_problem(number: str) -> str | None:
    try:
        normalise(number)
    except InvalidPersonalNumber:
        return PERSONNUMMER_INVALID
    return None


def proposed_valid_until(today: date) -> str:
    return (today + timedelta(days=CONSENT_DAYS)).isoformat()


def read(
    form: Mapping[str, Sequence[str]], search: Search, found: Sequence[Choice], *, now: datetime
) -> Draft | dict[str, str]:
    """The draft, or the problem of each field by its name (gettext message ids)."""
    problems: dict[str, str] = {}

    def one(name: str) -> str:
        return (form.get(name) or [""])[0].strip()

    service = next((c for c in found if c.id == one("service")), None)
    if service is None:
        problems["service"] = SERVICE_MISSING
    elif service.full:
        problems["service"] = SERVICE_FULL
    partner_ids = tuple(dict.fromkeys(p for p in form.get("consent_partners", []) if p))
    if service is not None and service.partner_id not in partner_ids:
        problems["consent_partners"] = PARTNERS_MISSING
    purposes = tuple(dict.fromkeys(Purpose(p) for p in form.get("purposes", []) if p in set(Purpose)))
    if search.need not in purposes:
        problems["purposes"] = PURPOSES_MISSING
    method = one("method")
    if method not in set(ConsentMethod):
        problems["method"] = METHOD_MISSING
    valid_until = _end_of(one("valid_until"))
    if valid_until is None or valid_until <= now:
        problems["valid_until"] = VALID_UNTIL_INVALID
    contact = _contact(one, search, problems)
    need = one("need_text")
    if not need or len(need) > NEED_MAX:
        problems["need_text"] = NEED_INVALID
    if problems:
        return problems
    assert service is not None and valid_until is not None and contact is not None
    return Draft(search, service, partner_ids, purposes, ConsentMethod(method), now, valid_until, contact, need)


def _contact(one: Callable[[str], str], search: Search, problems: dict[str, str]) -> ContactDetails | None:
    name = one("name")
    if not name:
        problems["name"] = NAME_MISSING
        return None
    try:
        return ContactDetails(
            name=name, phone=one("phone") or None, email=one("email") or None, language=search.language
        )
    except ValidationError as exc:
        for error in exc.errors():
            problems[str(error["loc"][0])] = CONTACT_INVALID
        return None


def _end_of(text: str) -> datetime | None:
    """The end of that day in Stockholm: a consent valid until a date holds all of it."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return datetime.combine(day, time(23, 59, 59), STOCKHOLM).astimezone(UTC)
