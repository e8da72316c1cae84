"""HTTP for calendars and follow-up:

GET /calendar.ics?hub=ID       an iCalendar feed of a hub's events (any calendar client)
GET /calendar.ics?partner=ID   the feed of the events a partner organises
GET /figures[?since=YYYY-MM][&until=YYYY-MM]
                               per hub, month and kind: held, registrations, waitlisted,
                               attended, walk-ins, attendance rate (JSON); whole months,
                               at most 24, the last 12 by default
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from faststream.asgi import AsgiResponse, get

from hubnet_common.service import reporting
from hubnet_common.service.http import json_response, problem, query
from hubnet_common.service.runtime import Runtime
from hubnet_events.adapters import read_model
from hubnet_events.adapters.ical import calendar_feed


def calendar_route(runtime: Runtime):
    @get
    async def calendar(scope: Any) -> AsgiResponse:
        q = query(scope)
        hub, partner = q.get("hub"), q.get("partner")
        if bool(hub) == bool(partner):
            return problem("give either hub or partner", 400)
        async with runtime.pool.acquire() as conn:
            table, key = ("known_hubs", hub) if hub else ("known_partners", partner)
            assert key is not None  # one of the two, as checked above
            name = await read_model.name_of(conn, table, key)
            if name is None:
                return problem(f"no {'hub' if hub else 'partner'} {key}", 404)
            events = await read_model.feed_events(conn, hub_id=hub, partner_id=partner)
        body = calendar_feed(f"hubnet: {name}", events)
        return AsgiResponse(body, headers={"content-type": "text/calendar; charset=utf-8"})

    return "/calendar.ics", calendar


def figures_route(runtime: Runtime):
    @get
    async def figures(scope: Any) -> AsgiResponse:
        q, now = query(scope), datetime.now(UTC)
        try:
            period = reporting.period(q.get("since"), q.get("until"), today=now.astimezone(reporting.STOCKHOLM).date())
        except reporting.InvalidPeriod as exc:
            return problem(str(exc), 400, code=exc.code)
        async with runtime.pool.acquire() as conn:
            return json_response(await read_model.figures(conn, now, period))

    return "/figures", figures


ROUTES = (calendar_route, figures_route)
