"""The events service's HTTP API (OpenAPI in docs/openapi/events.json):

    GET /calendar.ics?hub=ID       an iCalendar feed of a hub's events (any calendar client; public)
    GET /calendar.ics?partner=ID   the feed of the events a partner organises (public)
    GET /figures[?since=YYYY-MM][&until=YYYY-MM]
                                   per hub, month and kind: held, registrations, waitlisted,
                                   attended, walk-ins, attendance rate (JSON; a bearer token);
                                   whole months, at most 24, the last 12 by default

Residents subscribe to the calendars without an account, so they carry only what a hub's
poster says: titles, times, places, organisers. Every hub event is public today.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi.responses import Response

from hubnet_common.service import reporting
from hubnet_common.service.api import PUBLIC, Authenticated, Problem, text
from hubnet_common.service.runtime import Runtime
from hubnet_events.adapters import read_model
from hubnet_events.adapters.ical import calendar_feed

DESCRIPTION = "Hub events: public iCalendar feeds and attendance figures."
Id = Annotated[str | None, text(min_length=1, max_length=64)]


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

    return api


ROUTES = (router,)
