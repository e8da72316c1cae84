"""The directory over HTTP in Open Referral HSDS 3.0 shape (domain/hsds.py), for any caller with
a token of the network, as /directory:

    GET /                         which HSDS version this API answers in, and where its OpenAPI is
    GET /services[?search=…][&taxonomy_term_id=need][&taxonomy_id=…][&location_id=hub][&language=xx]
                 [&minimum_capacity=n][&organization_id=…][&page=n][&per_page=n]
    GET /services/{id}            one service with its opening times, languages, needs, hubs, capacity
    GET /organizations, /organizations/{id}      the partners
    GET /locations                the hubs (not in HSDS 3.0's API; its objects are)
    GET /service_at_locations[?location_id=hub], /service_at_locations/{id}   a service at a hub
    GET /taxonomies, /taxonomies/{id}            the taxonomy of needs
    GET /taxonomy_terms[?search=…][&taxonomy_id=…][&parent_id=…][&top_only=true], /taxonomy_terms/{id}
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel

from hubnet_common.service.api import NO_NUL, Authenticated, Problem, text
from hubnet_common.service.runtime import Runtime
from hubnet_referrals.adapters import read_model
from hubnet_referrals.domain import hsds

Text = Annotated[str | None, text(max_length=200)]
Id = Annotated[str, Path(min_length=1, max_length=64, pattern=NO_NUL)]
PageNumber = Annotated[int, Query(ge=1, le=10_000, description="from 1")]
PerPage = Annotated[int, Query(ge=1, le=200)]


class Page(BaseModel):
    """HSDS's paging envelope."""

    total_items: int
    total_pages: int
    page_number: int
    size: int
    first_page: bool
    last_page: bool
    empty: bool
    contents: list[dict[str, Any]]


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter(tags=["hsds"])
    missing: dict[int | str, dict[str, Any]] = {404: {"description": "none such in the directory"}}

    async def catalogue() -> Any:
        async with runtime.pool.acquire() as conn:
            return await read_model.catalogue(conn)

    def paged(items: Sequence[Any], page: int, per_page: int, shape: Callable[[Any], dict[str, Any]]) -> Page:
        return Page(**hsds.page(items, page, per_page, shape))

    @api.get("/")
    async def about(request: Request, who: Authenticated) -> dict[str, str]:
        # HSDS's meta information; no `profile`: the directory follows HSDS 3.0 itself, no profile of it
        return {"version": hsds.VERSION, "openapi_url": str(request.url_for("openapi"))}

    @api.get("/services", response_model=Page)
    async def services(
        who: Authenticated,
        search: Text = None,
        taxonomy_term_id: Annotated[str | None, text(max_length=64, description="a need, or one above it")] = None,
        taxonomy_id: Annotated[str | None, text(max_length=64)] = None,
        location_id: Annotated[str | None, text(max_length=64, description="a hub")] = None,
        language: Annotated[str | None, text(max_length=8, description="ISO 639 code")] = None,
        minimum_capacity: Annotated[int | None, Query(ge=0, description="places available now, at least")] = None,
        organization_id: Annotated[str | None, text(max_length=64)] = None,
        page: PageNumber = 1,
        per_page: PerPage = 50,
    ) -> Any:
        _, _, all_services = await catalogue()
        wanted = hsds.Search(search, taxonomy_term_id, location_id, language, minimum_capacity, taxonomy_id)
        found = [s for s in all_services if wanted.matches(s) and organization_id in (None, s.partner_id)]
        return paged(found, page, per_page, hsds.service)

    @api.get("/services/{id}", responses=missing)
    async def service(id: Id, who: Authenticated) -> dict[str, Any]:
        partners, _, all_services = await catalogue()
        found = next((s for s in all_services if s.id == id), None)
        if found is None:
            raise Problem(404, f"there is no service {id!r} in the directory")
        return hsds.full_service(found, partners[found.partner_id])

    @api.get("/organizations", response_model=Page)
    async def organizations(who: Authenticated, page: PageNumber = 1, per_page: PerPage = 50) -> Any:
        partners, _, _ = await catalogue()
        return paged(list(partners.values()), page, per_page, hsds.organization)

    @api.get("/organizations/{id}", responses=missing)
    async def organization(id: Id, who: Authenticated) -> dict[str, Any]:
        partners, _, all_services = await catalogue()
        if id not in partners:
            raise Problem(404, f"there is no organization {id!r} in the directory")
        offered = [hsds.service(s) for s in all_services if s.partner_id == id]
        return {**hsds.organization(partners[id]), "services": offered}

    @api.get("/locations", response_model=Page)
    async def locations(who: Authenticated, page: PageNumber = 1, per_page: PerPage = 50) -> Any:
        _, hubs, _ = await catalogue()
        return paged(hubs, page, per_page, hsds.location)

    @api.get("/service_at_locations", response_model=Page)
    async def service_at_locations(
        who: Authenticated,
        search: Text = None,
        taxonomy_term_id: Annotated[str | None, text(max_length=64, description="a need, or one above it")] = None,
        taxonomy_id: Annotated[str | None, text(max_length=64)] = None,
        organization_id: Annotated[str | None, text(max_length=64)] = None,
        location_id: Annotated[str | None, text(max_length=64, description="a hub")] = None,
        page: PageNumber = 1,
        per_page: PerPage = 50,
    ) -> Any:
        _, hubs, all_services = await catalogue()
        wanted = hsds.Search(search, taxonomy_term_id, location_id, taxonomy_id=taxonomy_id)
        by_id = {h.id: h for h in hubs}
        pairs = [
            (s, by_id[h])
            for s in all_services
            if wanted.matches(s) and organization_id in (None, s.partner_id)
            for h in s.hub_ids
            if location_id in (None, h) and h in by_id
        ]
        return paged(pairs, page, per_page, lambda pair: hsds.listed_service_at_location(*pair))

    @api.get("/service_at_locations/{id}", responses=missing)
    async def service_at_location(id: Id, who: Authenticated) -> dict[str, Any]:
        partners, hubs, all_services = await catalogue()
        service_id, _, hub_id = id.rpartition("@")
        found = next((s for s in all_services if s.id == service_id and s.offered_at(hub_id)), None)
        hub = next((h for h in hubs if h.id == hub_id), None)
        if found is None or hub is None:
            raise Problem(404, f"there is no service at a location {id!r} in the directory")
        return hsds.full_service_at_location(found, hub, partners[found.partner_id])

    @api.get("/taxonomies", response_model=Page)
    async def taxonomies(who: Authenticated, search: Text = None, page: PageNumber = 1, per_page: PerPage = 50) -> Any:
        return paged(hsds.taxonomies(search), page, per_page, dict)

    @api.get("/taxonomies/{id}", responses=missing)
    async def taxonomy(id: Id, who: Authenticated) -> dict[str, Any]:
        if id != hsds.TAXONOMY["id"]:
            raise Problem(404, f"there is no taxonomy {id!r} in the directory")
        return dict(hsds.TAXONOMY)

    @api.get("/taxonomy_terms", response_model=Page)
    async def taxonomy_terms(
        who: Authenticated,
        search: Text = None,
        taxonomy_id: Annotated[str | None, text(max_length=64)] = None,
        parent_id: Annotated[str | None, text(max_length=64, description="the terms right under this one")] = None,
        top_only: Annotated[bool, Query(description="only terms with no parent")] = False,
        page: PageNumber = 1,
        per_page: PerPage = 50,
    ) -> Any:
        return paged(hsds.taxonomy_terms(search, taxonomy_id, parent_id, top_only), page, per_page, dict)

    @api.get("/taxonomy_terms/{id}", responses=missing)
    async def taxonomy_term(id: Id, who: Authenticated) -> dict[str, Any]:
        if id not in hsds.TERMS:
            raise Problem(404, f"there is no taxonomy term {id!r} in the directory")
        return hsds.taxonomy_term(id)

    return api
