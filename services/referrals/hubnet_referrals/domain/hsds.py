"""The directory in Open Referral HSDS 3.0 shape (docs.openreferral.org): partners are
organizations, hubs locations, a service at a hub a service_at_location, and the needs a
service meets terms of one taxonomy declared here. Lists come in HSDS's pages."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hubnet_common.sdk.messages.vocabulary import Purpose
from hubnet_referrals.domain.directory import Hub, Partner, Service

TAXONOMY = {
    "id": "hubnet-needs",
    "name": "hubnet needs",
    "description": "What a resident comes to a hub for; the purposes a referral and a consent name.",
}
NEEDS = {
    Purpose.WORK: ("Arbete", "A job, or help towards one."),
    Purpose.STUDIES: ("Studier", "Studies, Swedish for immigrants (SFI) among them."),
    Purpose.OWN_BUSINESS: ("Eget företag", "Starting or running one's own business."),
    Purpose.WORK_TRAINING: ("Arbetsträning", "Training at a workplace."),
    Purpose.GUIDANCE: ("Vägledning", "Guidance on what to do next."),
}


def taxonomy_terms() -> list[dict[str, Any]]:
    return [
        {
            "id": str(need),
            "code": str(need),
            "name": name,
            "description": description,
            "taxonomy_id": TAXONOMY["id"],
            "language": "sv",
        }
        for need, (name, description) in NEEDS.items()
    ]


@dataclass(frozen=True)
class Search:
    """The /services filters; each given one narrows the list."""

    text: str | None = None
    taxonomy_term_id: str | None = None
    location_id: str | None = None
    language: str | None = None
    minimum_capacity: int | None = None  # at least this many places available now

    def matches(self, service: Service) -> bool:
        text = self.text.casefold() if self.text else None
        return (
            (text is None or text in f"{service.name}\n{service.eligibility}".casefold())
            and (self.taxonomy_term_id is None or self.taxonomy_term_id in service.needs)
            and (self.location_id is None or service.offered_at(self.location_id))
            and (self.language is None or self.language in service.languages)
            and (self.minimum_capacity is None or (service.available_places or 0) >= self.minimum_capacity)
        )


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


def service(s: Service) -> dict[str, Any]:
    """A service with its one-to-one fields, as HSDS lists them."""
    return {
        "id": s.id,
        "organization_id": s.partner_id,
        "name": s.name,
        "status": "active" if s.active else "inactive",
        "eligibility_description": s.eligibility,
        "email": s.contact_email,
    }


def full_service(s: Service, partner: Partner) -> dict[str, Any]:
    """A service with what belongs to it: phones, languages, needs, hubs and capacity."""
    return {
        **service(s),
        "organization": organization(partner),
        "phones": [{"id": f"{s.id}:phone", "service_id": s.id, "number": s.contact_phone}] if s.contact_phone else [],
        "languages": [{"id": f"{s.id}:{code}", "service_id": s.id, "code": code} for code in s.languages],
        "attributes": [
            {
                "id": f"{s.id}:{need}",
                "link_id": s.id,
                "link_type": "need",
                "link_entity": "service",
                "taxonomy_term_id": need,
            }
            for need in s.needs
        ],
        "service_at_locations": [service_at_location(s, hub_id) for hub_id in s.hub_ids],
        # service_capacity is HSDS 3.1's (3.0 has no place for it; extra fields are allowed)
        "capacities": capacities(s),
    }


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
