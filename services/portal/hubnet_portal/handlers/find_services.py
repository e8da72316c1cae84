"""Find the services a resident can be referred to: by hub, need and language, from the referrals
service's directory (its HSDS search), each with the places it has now; with the hubs, partners
and languages the form offers (its /directory)."""

from __future__ import annotations

from dataclasses import dataclass, field

from hubnet_portal.domain.new_referral import Choice, Search, choices, search_of
from hubnet_portal.handlers.ports import Directory, Services


@dataclass(frozen=True)
class Finding:
    hubs: list[tuple[str, str]]  # (id, name) of the active hubs
    partners: list[tuple[str, str]]  # (id, name) of the active partners, a consent may name
    languages: list[str]  # the languages some service speaks
    search: Search | None = None
    found: list[Choice] = field(default_factory=list)


async def find(services: Services, directory_search: Directory, token: str, params: dict[str, str]) -> Finding:
    directory = await services.directory(token)
    hubs = [(h["id"], h["name"]) for h in directory.get("hubs", []) if h.get("active", True)]
    partners = [(p["id"], p["name"]) for p in directory.get("partners", []) if p.get("active", True)]
    languages = sorted({code for s in directory.get("services", []) for code in s.get("languages") or ()})
    search = search_of(params, [hub_id for hub_id, _ in hubs])
    if search is not None and search.language not in (None, *languages):
        search = None
    if search is None:
        return Finding(hubs, partners, languages)
    wanted = {"location_id": search.hub_id, "taxonomy_term_id": search.need.value, "language": search.language or ""}
    found = await directory_search.services(token, wanted)
    return Finding(hubs, partners, languages, search, choices(found))
