"""The partner's referrals:

GET  /referrals[?status=&hub=&service=&page_in=&page_out=]
                              the worklist: incoming and outgoing referrals by status, a page of each
GET  /referrals/{id}          one referral: status, history, the steps this partner may take
POST /referrals/{id}/steps    take one
POST /referrals/{id}/resident the referral page with the resident's contact details and need opened
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from hubnet_common.sdk.messages.vocabulary import MainActivity
from hubnet_portal.domain.actions import REASONS, offers
from hubnet_portal.domain.session import Session
from hubnet_portal.domain.words import MAIN_ACTIVITY, REASON
from hubnet_portal.domain.worklist import ORDER, PAGE, Filters, page_of
from hubnet_portal.entrypoints.site import Pages, form_int, form_text
from hubnet_portal.handlers import act
from hubnet_portal.handlers.open_resident import Opened, open_resident

YES_NO = {"yes": True, "no": False}
REFERRAL_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def routes(pages: Pages) -> list[Route]:
    portal = pages.portal

    async def worklist(request: Request) -> Response:
        session = await pages.staff(request)
        token, filters = session.tokens.access_token, Filters.of(request.query_params)

        async def one_page(role: str, number: int):
            found = await portal.services.referrals(
                token, role, filters=filters.asked(), offset=number * PAGE, limit=PAGE + 1
            )
            return page_of(found, number)

        incoming, outgoing = await asyncio.gather(
            one_page("receiver", filters.page_in), one_page("sender", filters.page_out)
        )
        return pages.render(
            session,
            "worklist.html",
            page="worklist",
            incoming=incoming,
            outgoing=outgoing,
            filters=filters,
            statuses=ORDER,
        )

    async def referral_page(request: Request, session: Session, opened: Opened | None = None) -> Response:
        referral_id = request.path_params["referral_id"]
        found = await portal.services.referral(session.tokens.access_token, referral_id)
        if found is None or not REFERRAL_ID.match(referral_id):
            return pages.render(session, "not_found.html", 404)
        if opened is None and request.method == "POST":
            opened = await open_resident(
                portal.data_keys, session.tokens.access_token, found, staff_id=session.staff_id
            )
        return pages.render(
            session,
            "referral.html",
            page="worklist",
            referral=found,
            offers=offers(found, portal.partner),
            activities=[(activity.value, MAIN_ACTIVITY[activity]) for activity in MainActivity],
            reasons=[(reason.value, REASON[reason]) for reason in REASONS],
            opened=opened,
        )

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
            public_support_continues={"yes": True, "no": False}.get(
                form_text(form.get("public_support_continues")) or ""
            ),
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
        Route("/referrals/{referral_id}", referral),
        Route("/referrals/{referral_id}/steps", take_step, methods=["POST"]),
        Route("/referrals/{referral_id}/resident", resident, methods=["POST"]),
    ]
