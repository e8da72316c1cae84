"""The network's directory, searched as the staff member (the referrals service's HSDS routes):

GET  /directory[?search=…][&hub=…][&language=…]   what is offered, where, in which languages, with how many places
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hubnet_portal.domain.hub_events import LANGUAGE
from hubnet_portal.entrypoints.site import Pages, language_name


def routes(pages: Pages) -> list[Route]:
    portal = pages.portal

    async def directory(request: Request) -> Response:
        session = await pages.staff(request)
        token = session.tokens.access_token
        hubs = await portal.directory.hubs(token)
        names = {hub["id"]: hub.get("name", hub["id"]) for hub in hubs}
        query = request.query_params
        hub = query.get("hub") or ""
        wanted: dict[str, str] = {
            "search": (query.get("search") or "").strip()[:200],
            "hub": hub if hub in names else "",
            "language": (query.get("language") or "").strip().lower(),
        }
        if not LANGUAGE.match(wanted["language"]):
            wanted["language"] = ""
        asked = any(wanted.values())
        found = []
        if asked:
            search = {"search": wanted["search"], "location_id": wanted["hub"], "language": wanted["language"]}
            found = [_listed(s, names, session.language) for s in await portal.directory.services(token, search)]
        return pages.render(
            session, "directory.html", page="directory", hubs=hubs, wanted=wanted, asked=asked, found=found
        )

    return [Route("/directory", directory)]


def _listed(service: dict[str, Any], hub_names: dict[str, str], language: str) -> dict[str, Any]:
    """What a row of the directory shows of an HSDS service: its other fields are left alone."""
    places = [c.get("available") for c in service.get("capacities") or [] if isinstance(c, dict)]
    return {
        "id": service.get("id"),
        "name": service.get("name", ""),
        "organisation": (service.get("organization") or {}).get("name") or service.get("organization_id", ""),
        "hubs": sorted(
            hub_names.get(sal.get("location_id"), sal.get("location_id", ""))
            for sal in service.get("service_at_locations") or []
        ),
        "languages": [language_name(lang.get("code", ""), language) for lang in service.get("languages") or []],
        "places": places[0] if places else None,
        "email": service.get("email"),
        "eligibility": service.get("eligibility_description"),
    }
