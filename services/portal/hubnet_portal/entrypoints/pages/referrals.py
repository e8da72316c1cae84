"""The partner's referrals:

GET  /referrals[?status=&hub=&service=&page_in=&page_out=]
                              the worklist: incoming and outgoing referrals by status, a page of each
GET  /referrals/live[?…]      the same worklist's referrals, when they changed (what its page polls for)
GET  /referrals/{id}          one referral: status, SLA, history, the steps this partner may take
GET  /referrals/{id}/live     its status, steps and history, when they changed
POST /referrals/{id}/steps    take one
POST /referrals/{id}/resident the referral page with the resident's contact details and need opened
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from hubnet_common.sdk.messages.vocabulary import MainActivity
from hubnet_portal.domain.actions import REASONS, offers
from hubnet_portal.domain.session import Session
from hubnet_portal.domain.words import MAIN_ACTIVITY, REASON
from hubnet_portal.domain.worklist import ORDER, PAGE, Filters, page_of
from hubnet_portal.entrypoints.site import REFERRAL_ID, Pages, form_int, form_text
from hubnet_portal.handlers import act
from hubnet_portal.handlers.open_resident import Opened, open_resident

YES_NO = {"yes": True, "no": False}


def routes(pages: Pages) -> list[Route]:
    portal = pages.portal

    async def referrals_of(request: Request, session: Session) -> dict[str, Any]:
        token, filters = session.tokens.access_token, Filters.of(request.query_params)

        async def one_page(role: str, number: int):
            found = await portal.services.referrals(
                token, role, filters=filters.asked(), offset=number * PAGE, limit=PAGE + 1
            )
            return page_of(found, number)

        incoming, outgoing = await asyncio.gather(
            one_page("receiver", filters.page_in), one_page("sender", filters.page_out)
        )
        return {"incoming": incoming, "outgoing": outgoing, "filters": filters}

    async def worklist(request: Request) -> Response:
        session = await pages.staff(request)
        found = await referrals_of(request, session)
        live_url = f"/referrals/live?{request.url.query}" if request.url.query else "/referrals/live"
        live = pages.with_live(session, "worklist_live.html", live_url, **found)
        return pages.render(session, "worklist.html", page="worklist", statuses=ORDER, **live)

    async def worklist_live(request: Request) -> Response:
        session = await pages.staff(request)
        return pages.live(request, session, "worklist_live.html", **await referrals_of(request, session))

    def steps_of(found: dict) -> dict:
        return {
            "referral": found,
            "offers": offers(found, portal.partner),
            "activities": [(activity.value, MAIN_ACTIVITY[activity]) for activity in MainActivity],
            "reasons": [(reason.value, REASON[reason]) for reason in REASONS],
        }

    async def referral_page(request: Request, session: Session) -> Response:
        found = await pages.referral_of(request, session)
        if found is None:
            return pages.render(session, "not_found.html", 404)
        opened: Opened | None = None
        if request.method == "POST":
            opened = await open_resident(
                portal.data_keys, session.tokens.access_token, found, staff_id=session.staff_id
            )
        live_url = f"/referrals/{found['id']}/live"
        live = pages.with_live(session, "referral_live.html", live_url, **steps_of(found))
        return pages.render(session, "referral.html", page="worklist", opened=opened, **live)

    async def referral_live(request: Request) -> Response:
        session = await pages.staff(request)
        found = await pages.referral_of(request, session)
        if found is None:
            return Response(status_code=404)
        return pages.live(request, session, "referral_live.html", **steps_of(found))

    async def referral(request: Request) -> Response:
        return await referral_page(request, await pages.staff(request))

    async def resident(request: Request) -> Response:
        session, _form = await pages.csrf_checked(request)
        return await referral_page(request, session)

    async def sealer_for(session: Session, step: act.Step) -> act.Sealer | None:
        """For a step with a note: what seals it, for the referral's resident (None: no such referral)."""
        if not act.needs_note(step.action):
            return None
        token = session.tokens.access_token
        found = await portal.services.referral(token, step.referral_id)
        return act.Sealer(portal.data_keys, token, found["participant_ref"]) if found else None

    async def take_step(request: Request) -> Response:
        session, form = await pages.csrf_checked(request)
        referral_id = request.path_params["referral_id"]
        if not REFERRAL_ID.match(referral_id):
            return pages.render(session, "not_found.html", 404)
        step = act.Step(
            referral_id=referral_id,
            action=form_text(form.get("action")) or "",
            version=form_int(form.get("version")),
            main_activity=form_text(form.get("main_activity")) or None,
            public_support_continues=YES_NO.get(form_text(form.get("public_support_continues")) or ""),
            reason_code=form_text(form.get("reason_code")) or None,
            note=form_text(form.get("note")) or "",
        )
        outcome = await act.take(
            portal.commands, step, staff_id=session.staff_id, sealer=await sealer_for(session, step)
        )
        portal.sessions.put(replace(session, notice=outcome.words))
        return RedirectResponse(f"/referrals/{referral_id}", status_code=303)

    return [
        Route("/referrals", worklist),
        Route("/referrals/live", worklist_live),
        Route("/referrals/{referral_id}", referral),
        Route("/referrals/{referral_id}/live", referral_live),
        Route("/referrals/{referral_id}/steps", take_step, methods=["POST"]),
        Route("/referrals/{referral_id}/resident", resident, methods=["POST"]),
    ]
