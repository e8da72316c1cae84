"""The directory in Open Referral HSDS 3.0 shape (docs.openreferral.org): partners are
organizations, hubs locations, a service at a hub a service_at_location, and the needs a
service meets terms of one taxonomy declared here. Lists come in HSDS's pages."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hubnet_common.sdk.messages.vocabulary import Purpose
from hubnet_referrals.domain.directory import Hub, Partner, Schedule, Service

VERSION = "3.0"
TAXONOMY = {
    "id": "hubnet-needs",
    "name": "hubnet needs",
    "description": "What a resident comes to a hub for; the purposes a referral and a consent name, and finer needs"
    " under them.",
    "version": "2",
}


@dataclass(frozen=True)
class Term:
    name: str
    description: str
    parent_id: str | None = None  # a finer need under a broader one


# The purposes are the top terms, so a referral's purpose finds the services that meet it.
TERMS = {
    str(Purpose.WORK): Term("Arbete", "A job, or help towards one."),
    str(Purpose.STUDIES): Term("Studier", "Studies, Swedish for immigrants (SFI) among them."),
    str(Purpose.OWN_BUSINESS): Term("Eget företag", "Starting or running one's own business."),
    str(Purpose.WORK_TRAINING): Term("Arbetsträning", "Training at a workplace."),
    str(Purpose.GUIDANCE): Term("Vägledning", "Guidance on what to do next."),
    "sfi": Term("Svenska för invandrare (SFI)", "Learning Swedish as a newcomer.", parent_id=str(Purpose.STUDIES)),
}


def taxonomies(search: str | None = None) -> list[dict[str, Any]]:
    described = f"{TAXONOMY['name']}\n{TAXONOMY['description']}".casefold()
    return [dict(TAXONOMY)] if not search or search.casefold() in described else []


def taxonomy_term(term_id: str) -> dict[str, Any]:
    term = TERMS[term_id]
    shaped = {
        "id": term_id,
        "code": term_id,
        "name": term.name,
        "description": term.description,
        "taxonomy_id": TAXONOMY["id"],
        "language": "sv",
    }
    return shaped | ({"parent_id": term.parent_id} if term.parent_id else {})


def taxonomy_terms(
    search: str | None = None, taxonomy_id: str | None = None, parent_id: str | None = None, top_only: bool = False
) -> list[dict[str, Any]]:
    """The terms, narrowed as HSDS's /taxonomy_terms narrows them."""
    text = search.casefold() if search else None
    return [
        taxonomy_term(term_id)
        for term_id, term in TERMS.items()
        if (text is None or text in f"{term_id}\n{term.name}\n{term.description}".casefold())
        and taxonomy_id in (None, TAXONOMY["id"])
        and parent_id in (None, term.parent_id)
        and not (top_only and term.parent_id)
    ]


def meets(service: Service, term_id: str) -> bool:
    """The service meets the need, or a finer one under it."""
    return any(term_id in _lineage(need) for need in service.needs)


def _lineage(term_id: str) -> list[str]:
    """The term and those above it."""
    lineage = [term_id]
    while (term := TERMS.get(lineage[-1])) is not None and term.parent_id is not None:
        lineage.append(term.parent_id)
    return lineage


@dataclass(frozen=True)
class Search:
    """The /services filters; each given one narrows the list."""

    text: str | None = None
    taxonomy_term_id: str | None = None
    location_id: str | None = None
    language: str | None = None
    minimum_capacity: int | None = None  # at least this many places available now
    taxonomy_id: str | None = None

    def matches(self, service: Service) -> bool:
        return (
            (self.text is None or self.text.casefold() in _searchable(service))
            and (self.taxonomy_term_id is None or meets(service, self.taxonomy_term_id))
            and (self.taxonomy_id is None or (self.taxonomy_id == TAXONOMY["id"] and bool(service.needs)))
            and (self.location_id is None or service.offered_at(self.location_id))
            and (self.language is None or self.language in service.languages)
            and (self.minimum_capacity is None or (service.available_places or 0) >= self.minimum_capacity)
        )


def _searchable(s: Service) -> str:
    described = (s.name, s.alternate_name, s.description, s.eligibility, s.application_process)
    return "\n".join(described).casefold()


def page(items: Sequence[Any], number: int, size: int, shape: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    """HSDS's paging envelope around page `number` (from 1) of `size` items."""
    chunk = items[(number - 1) * size : number * size]
    total_pages = max(1, math.ceil(len(items) / size))
    return {
        "total_items": len(items),
        "total_pages": total_pages,
        "page_number": number,
        "size": len(chunk),
        "first_page": number == 1,
        "last_page": number >= total_pages,
        "empty": not chunk,
        "contents": [shape(item) for item in chunk],
    }


def organization(partner: Partner) -> dict[str, Any]:
    # HSDS requires a description; the directory holds none, so the name stands for it.
    return {"id": partner.id, "name": partner.name, "description": partner.name}


def location(hub: Hub) -> dict[str, Any]:
    return {"id": hub.id, "location_type": "physical", "name": hub.name}


def _present(shaped: dict[str, Any]) -> dict[str, Any]:
    """Without what the directory does not know (HSDS leaves such fields out)."""
    return {k: v for k, v in shaped.items() if v not in ("", None)}


def service(s: Service) -> dict[str, Any]:
    """A service with its one-to-one fields, as HSDS lists them."""
    return _present(
        {
            "id": s.id,
            "organization_id": s.partner_id,
            "name": s.name,
            "alternate_name": s.alternate_name,
            "description": s.description,
            "url": s.url,
            "email": s.contact_email,
            "status": "active" if s.active else "inactive",
            "interpretation_services": s.interpretation_services,
            "application_process": s.application_process,
            "fees_description": s.fees_description,
            "eligibility_description": s.eligibility,
            "minimum_age": s.minimum_age,
            "maximum_age": s.maximum_age,
        }
    )


def full_service(s: Service, partner: Partner) -> dict[str, Any]:
    """A service with what belongs to it: phones, opening times, languages, needs, documents to
    bring, hubs and capacity."""
    return {
        **service(s),
        "organization": organization(partner),
        "phones": [{"id": f"{s.id}:phone", "service_id": s.id, "number": s.contact_phone}] if s.contact_phone else [],
        "schedules": [schedule(s, n, entry) for n, entry in enumerate(s.schedules, 1)],
        "languages": [{"id": f"{s.id}:{code}", "service_id": s.id, "code": code} for code in s.languages],
        "required_documents": [
            {"id": f"{s.id}:document:{n}", "service_id": s.id, "document": document}
            for n, document in enumerate(s.required_documents, 1)
        ],
        "attributes": [
            {
                "id": f"{s.id}:{need}",
                "link_id": s.id,
                "link_type": "need",
                "link_entity": "service",
                "taxonomy_term_id": need,
                "taxonomy_term": taxonomy_term(need),
            }
            for need in s.needs
            if need in TERMS
        ],
        "service_at_locations": [service_at_location(s, hub_id) for hub_id in s.hub_ids],
        # service_capacity is HSDS 3.1's (3.0 has no place for it; extra fields are allowed)
        "capacities": capacities(s),
    }


def schedule(s: Service, number: int, entry: Schedule) -> dict[str, Any]:
    """An opening time as HSDS's schedule: an RFC 5545 recurrence, local time at the hub."""
    at_hub = {"location_id": entry.hub_id, "service_at_location_id": f"{s.id}@{entry.hub_id}"} if entry.hub_id else {}
    return _present(
        {
            "id": f"{s.id}:schedule:{number}",
            "service_id": s.id,
            **at_hub,
            "freq": entry.freq,
            "interval": entry.interval,
            "byday": entry.byday,
            "opens_at": entry.opens_at,
            "closes_at": entry.closes_at,
            "valid_from": entry.valid_from.isoformat() if entry.valid_from else None,
            "valid_to": entry.valid_to.isoformat() if entry.valid_to else None,
            "description": entry.description,
        }
    )


def capacities(s: Service) -> list[dict[str, Any]]:
    if s.available_places is None:
        return []
    updated = s.capacity_updated_at.isoformat() if s.capacity_updated_at else None
    return [
        {
            "id": f"{s.id}:places",
            "service_id": s.id,
            "unit": {"id": "places", "name": "places"},
            "available": s.available_places,
            "updated": updated,
        }
    ]


def service_at_location(s: Service, hub_id: str) -> dict[str, Any]:
    return {"id": f"{s.id}@{hub_id}", "service_id": s.id, "location_id": hub_id}


def listed_service_at_location(s: Service, hub: Hub) -> dict[str, Any]:
    """A service at a hub as HSDS lists one: with the hub and the service's one-to-one fields."""
    return {**service_at_location(s, hub.id), "location": location(hub), "service": service(s)}


def full_service_at_location(s: Service, hub: Hub, partner: Partner) -> dict[str, Any]:
    """A service at a hub with its opening times there, the hub and the service."""
    in_full = full_service(s, partner)
    del in_full["service_at_locations"]  # the one asked for is the whole answer
    return {
        **service_at_location(s, hub.id),
        "schedules": [schedule(s, n, e) for n, e in enumerate(s.schedules, 1) if e.hub_id in (None, hub.id)],
        "location": location(hub),
        "service": in_full,
    }
