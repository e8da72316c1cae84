"""The events service's HTTP API (OpenAPI in docs/openapi/events.json):

    GET /calendar.ics?hub=ID       an iCalendar feed of a hub's events (any calendar client; public)
    GET /calendar.ics?partner=ID   the feed of the events a partner organises (public)
    GET /figures[?since=YYYY-MM][&until=YYYY-MM]
                                   per hub, month and kind: held, registrations, waitlisted,
                                   attended, walk-ins, attendance rate (JSON; a bearer token);
                                   whole months, at most 24, the last 12 by default
    GET /hub-events[?hub=ID][&from=TIME]
                                   hub events with an occurrence not over by `from` (default now),
                                   those occurrences with capacity, places taken and waitlist (a token)
    GET /hub-events/{id}           one hub event, all its occurrences, and the registrations the
                                   caller's partner may see: every one for the organisers, else
                                   those it registered (by participant_ref; a partner's token)

Residents subscribe to the calendars without an account, so they carry only what a hub's
poster says: titles, times, places, organisers. Every hub event is public today; who is registered
is not, and a read of a hub event's registrations is in the access log.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel

from hubnet_common.service import reporting
from hubnet_common.service.api import NO_NUL, PUBLIC, Authenticated, Partner, Problem, audited, text
from hubnet_common.service.runtime import Runtime
from hubnet_events.adapters import read_model
from hubnet_events.adapters.ical import calendar_feed

DESCRIPTION = "Hub events: public iCalendar feeds and attendance figures."
Id = Annotated[str | None, text(min_length=1, max_length=64)]
EVER = datetime(1970, 1, 1, tzinfo=UTC)


class OccurrenceSeen(BaseModel):
    starts_at: datetime
    ends_at: datetime
    capacity: int
    status: str
    registered: int
    waitlisted: int
    walk_ins: int


class HubEventListed(BaseModel):
    id: str
    hub_id: str
    hub_name: str
    organiser_partner_id: str
    organiser_name: str
    co_organiser_ids: list[str]
    kind: str
    title: str
    description: str
    title_en: str | None
    description_en: str
    languages: list[str]
    audience: str | None
    starts_at: datetime
    ends_at: datetime
    rrule: str | None
    capacity: int
    status: str
    cancel_reason: str | None
    version: int
    occurrences: list[OccurrenceSeen]


class RegistrationSeen(BaseModel):
    id: str
    occurrence_starts_at: datetime
    participant_ref: str
    status: str
    waitlist_position: int | None
    attendance: str | None
    referral_id: str | None
    registered_by: str | None
    at: datetime


class HubEventSeen(HubEventListed):
    registrations: list[RegistrationSeen]


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter(tags=["events"])

    @api.get(
        "/calendar.ics",
        openapi_extra=PUBLIC,
        response_class=Response,
        responses={
            200: {"content": {"text/calendar": {}}, "description": "the feed"},
            400: {"description": "neither or both of hub and partner"},
            404: {"description": "no such hub or partner"},
        },
    )
    async def calendar(hub: Id = None, partner: Id = None) -> Response:
        if (hub is None) == (partner is None):
            raise Problem(400, "give either hub or partner")
        table, key = ("known_hubs", hub) if hub else ("known_partners", partner)
        assert key is not None  # one of the two, as checked above
        async with runtime.pool.acquire() as conn:
            name = await read_model.name_of(conn, table, key)
            if name is None:
                raise Problem(404, f"no {'hub' if hub else 'partner'} {key}")
            events = await read_model.feed_events(conn, hub_id=hub, partner_id=partner)
        return Response(calendar_feed(f"hubnet: {name}", events), media_type="text/calendar; charset=utf-8")

    @api.get("/figures", responses={400: {"description": "not whole months, or more than 24 of them"}})
    async def figures(
        who: Authenticated,
        since: Annotated[str | None, text(max_length=32, description="a month, YYYY-MM")] = None,
        until: Annotated[str | None, text(max_length=32, description="a month, YYYY-MM")] = None,
    ) -> list[dict[str, Any]]:
        now = datetime.now(UTC)
        try:
            period = reporting.period(since, until, today=now.astimezone(reporting.STOCKHOLM).date())
        except reporting.InvalidPeriod as exc:
            raise Problem(400, str(exc), code=exc.code) from None
        async with runtime.pool.acquire() as conn:
            return await read_model.figures(conn, now, period)

    @api.get("/hub-events", response_model=list[HubEventListed])
    async def hub_events(
        who: Authenticated,
        hub: Id = None,
        since: Annotated[
            datetime | None,
            Query(alias="from", description="occurrences not over by then (default now); Stockholm if no offset"),
        ] = None,
    ) -> Any:
        async with runtime.pool.acquire() as conn:
            return await read_model.hub_events(conn, after=_aware(since) or datetime.now(UTC), hub_id=hub)

    @api.get(
        "/hub-events/{id}",
        response_model=HubEventSeen,
        openapi_extra=audited("id"),
        responses={404: {"description": "no such hub event"}},
    )
    async def hub_event(id: Annotated[str, Path(min_length=1, max_length=64, pattern=NO_NUL)], partner: Partner) -> Any:
        async with runtime.pool.acquire() as conn:
            found = await read_model.hub_events(conn, after=EVER, hub_event_id=id, limit=1)
            if not found:
                raise Problem(404, f"there is no hub event {id}")
            return {**found[0], "registrations": await read_model.registrations_seen_by(conn, id, partner)}

    return api


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=reporting.STOCKHOLM)


ROUTES = (router,)
