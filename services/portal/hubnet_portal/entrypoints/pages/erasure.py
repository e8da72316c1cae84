"""A resident's request to be forgotten, from their referral page, in two steps:

GET  /referrals/{id}/erasure  what forgetting does, the resident's personnummer, a confirmation
POST /referrals/{id}/erasure  EraseParticipant; the answer in plain words
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hubnet_portal.domain.words import N_
from hubnet_portal.entrypoints.site import Pages, form_text
from hubnet_portal.handlers import erase_resident
from hubnet_portal.handlers.settings import Answer

NOT_CONFIRMED = N_("Tick the box to confirm that the resident asked to be forgotten. Nothing was sent.")


def routes(pages: Pages) -> list[Route]:
    portal = pages.portal

    async def page(request: Request, answer: Answer | None = None) -> Response:
        session = await pages.staff(request)
        found = await pages.referral_of(request, session)
        if found is None:
            return pages.render(session, "not_found.html", 404)
        return pages.render(session, "erasure.html", page="worklist", referral=found, answer=answer)

    async def ask(request: Request) -> Response:
        return await page(request)

    async def erase(request: Request) -> Response:
        session, form = await pages.csrf_checked(request)
        found = await pages.referral_of(request, session)
        if found is None:
            return pages.render(session, "not_found.html", 404)
        if form_text(form.get("confirmed")) != "yes":
            answer = Answer(False, NOT_CONFIRMED)
        else:
            answer = await erase_resident.erase(
                portal.commands,
                portal.custodian_key,
                participant_ref=found["participant_ref"],
                personnummer=form_text(form.get("personnummer")),
                staff_id=session.staff_id,
            )
        return pages.render(session, "erasure.html", page="worklist", referral=found, answer=answer)

    return [
        Route("/referrals/{referral_id}/erasure", ask),
        Route("/referrals/{referral_id}/erasure", erase, methods=["POST"]),
    ]
