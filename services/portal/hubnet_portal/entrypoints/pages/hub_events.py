"""Hub events: a hub's calendar and the work of its hosts.

GET  /hub-events[?hub=…]                 the hub's calendar, and its .ics link for residents' calendar apps
GET  /hub-events/new[?hub=…]             the form to schedule one
POST /hub-events                         schedule it
GET  /hub-events/{id}[?at=…]             one hub event at one occasion: places, waitlist, attendance
POST /hub-events/{id}/registrations      register a resident (by personnummer, in the form only)
POST /hub-events/{id}/cancellations      cancel a place (the reference in the form)
POST /hub-events/{id}/attendance         who came, and how many walked in

A resident's personnummer and reference travel only in forms, never in an address or a log.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from hubnet_portal.domain import hub_events as he
from hubnet_portal.domain.session import Session
from hubnet_portal.entrypoints.site import Pages, form_int, form_text
from hubnet_portal.handlers import hub_events as work


def routes(pages: Pages) -> list[Route]:
    portal = pages.portal

    async def hubs_of(session: Session) -> list[dict[str, Any]]:
        return await portal.directory.hubs(session.tokens.access_token)

    def chosen_hub(hubs: list[dict[str, Any]], asked: str | None) -> str | None:
        ids = [hub["id"] for hub in hubs]
        return asked if asked in ids else None

    async def calendar(request: Request) -> Response:
        session = await pages.staff(request)
        hubs = await hubs_of(session)
        hub_id = chosen_hub(hubs, request.query_params.get("hub"))
        events = await portal.hub_events.calendar(session.tokens.access_token, hub_id)
        for event in events:
            event["next"] = he.occasion(event, None)
        ics = f"{portal.calendar_url}/calendar.ics?{urlencode({'hub': hub_id})}" if hub_id else None
        return pages.render(
            session, "hub_events.html", page="hub-events", hubs=hubs, hub_id=hub_id, events=events, ics=ics
        )

    async def new(request: Request) -> Response:
        session = await pages.staff(request)
        hubs = await hubs_of(session)
        return pages.render(
            session,
            "hub_event_new.html",
            page="hub-events",
            hubs=hubs,
            hub_id=chosen_hub(hubs, request.query_params.get("hub")),
            kinds=list(he.KIND.items()),
        )

    async def schedule(request: Request) -> Response:
        session, form = await pages.csrf_checked(request)
        asked = he.Schedule(
            hub_id=form_text(form.get("hub")) or "",
            kind=form_text(form.get("kind")) or "",
            title=form_text(form.get("title")) or "",
            description=form_text(form.get("description")) or "",
            day=form_text(form.get("day")) or "",
            starts=form_text(form.get("starts")) or "",
            ends=form_text(form.get("ends")) or "",
            capacity=form_int(form.get("capacity")),
            languages=form_text(form.get("languages")) or "",
        )
        done = await work.schedule(portal.commands, asked, staff_id=session.staff_id)
        portal.sessions.put(replace(session, notice=done.words))
        if not done.taken:
            return RedirectResponse(f"/hub-events/new?{urlencode({'hub': asked.hub_id})}", status_code=303)
        return RedirectResponse(f"/hub-events/{done.hub_event_id}", status_code=303)

    async def found(request: Request, session: Session) -> dict[str, Any] | None:
        hub_event_id = request.path_params["hub_event_id"]
        if not he.HUB_EVENT_ID.match(hub_event_id):
            return None
        return await portal.hub_events.hub_event(session.tokens.access_token, hub_event_id)

    async def hub_event(request: Request) -> Response:
        session = await pages.staff(request)
        event = await found(request, session)
        occasion = he.occasion(event, request.query_params.get("at")) if event else None
        if event is None or occasion is None:
            return pages.render(session, "not_found.html", 404)
        registrations = he.registrations_at(event, occasion)
        return pages.render(
            session,
            "hub_event.html",
            page="hub-events",
            event=event,
            occasion=occasion,
            registered=[r for r in registrations if r["status"] == "registered"],
            waiting=[r for r in registrations if r["status"] == "waitlisted"],
            organiser=portal.partner in (event["organiser_partner_id"], *event.get("co_organiser_ids", [])),
            kind_words=he.kind_words,
            ics=f"{portal.calendar_url}/calendar.ics?{urlencode({'hub': event['hub_id']})}",
        )

    async def posted(request: Request) -> tuple[Session, Any, dict[str, Any] | None, datetime | None]:
        """The session, the form, the hub event and the occasion the form is about."""
        session, form = await pages.csrf_checked(request)
        event = await found(request, session)
        occasion = he.occasion(event, form_text(form.get("at"))) if event else None
        return session, form, event, datetime.fromisoformat(occasion["starts_at"]) if occasion else None

    def back(session: Session, event: dict[str, Any], starts_at: datetime, words: str) -> Response:
        portal.sessions.put(replace(session, notice=words))
        return RedirectResponse(f"/hub-events/{event['id']}?{urlencode({'at': starts_at.isoformat()})}", 303)

    async def register(request: Request) -> Response:
        session, form, event, starts_at = await posted(request)
        if event is None or starts_at is None:
            return pages.render(session, "not_found.html", 404)
        done = await work.register(
            portal.commands,
            event,
            starts_at,
            form_text(form.get("personnummer")) or "",
            consent_noted=form_text(form.get("consent")) == "yes",
            partner=portal.partner,
            custodian_key=portal.custodian_key,
            staff_id=session.staff_id,
        )
        words = done.words
        if done.taken and done.participant_ref:
            words = await placed_words(session, event["id"], starts_at, done.participant_ref) or words
        return back(session, event, starts_at, words)

    async def placed_words(session: Session, hub_event_id: str, starts_at: datetime, ref: str) -> str | None:
        """Whether the resident just registered has a place or waits: the calendar's answer."""
        now = await portal.hub_events.hub_event(session.tokens.access_token, hub_event_id)
        mine = [
            r
            for r in (now or {}).get("registrations", [])
            if r["participant_ref"] == ref and datetime.fromisoformat(r["occurrence_starts_at"]) == starts_at
        ]
        if mine and mine[0]["status"] == "waitlisted":
            return he.ON_WAITLIST
        return he.HAS_PLACE if mine else None

    async def cancel(request: Request) -> Response:
        session, form, event, starts_at = await posted(request)
        ref = form_text(form.get("ref")) or ""
        if event is None or starts_at is None or not he.REF.match(ref):
            return pages.render(session, "not_found.html", 404)
        done = await work.cancel(portal.commands, event["id"], starts_at, ref, staff_id=session.staff_id)
        return back(session, event, starts_at, done.words)

    async def attendance(request: Request) -> Response:
        session, form, event, starts_at = await posted(request)
        if event is None or starts_at is None:
            return pages.render(session, "not_found.html", 404)
        listed = [ref for ref in form.getlist("registered") if isinstance(ref, str) and he.REF.match(ref)]
        came = {ref for ref in form.getlist("came") if isinstance(ref, str)}
        walk_ins = form_int(form.get("walk_ins"))
        done = await work.record_attendance(
            portal.commands,
            event["id"],
            starts_at,
            attended=[ref for ref in listed if ref in came],
            no_shows=[ref for ref in listed if ref not in came],
            walk_ins=walk_ins if walk_ins is not None else -1,
            staff_id=session.staff_id,
        )
        return back(session, event, starts_at, done.words)

    return [
        Route("/hub-events", calendar),
        Route("/hub-events", schedule, methods=["POST"]),
        Route("/hub-events/new", new),
        Route("/hub-events/{hub_event_id}", hub_event),
        Route("/hub-events/{hub_event_id}/registrations", register, methods=["POST"]),
        Route("/hub-events/{hub_event_id}/cancellations", cancel, methods=["POST"]),
        Route("/hub-events/{hub_event_id}/attendance", attendance, methods=["POST"]),
    ]
