"""Referring a resident to a service:

GET  /refer[?hub=&need=&language=]   find a service (with its places) and fill in consent, contact and need
POST /refer                           record the consent and send the referral: its page, or the form
                                      again with each problem beside its field

The personnummer is in the posted form only: never in an address, a log or the session.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from hubnet_common.sdk.messages.vocabulary import ConsentMethod, Purpose
from hubnet_portal.domain import new_referral
from hubnet_portal.domain.new_referral import LABEL, METHOD, PURPOSE
from hubnet_portal.domain.session import Session
from hubnet_portal.domain.words import N_
from hubnet_portal.entrypoints.site import STOCKHOLM, Pages, form_text
from hubnet_portal.handlers import find_services, refer

SENT = N_("The referral was sent.")
SEARCH = ("hub", "need", "language")


def routes(pages: Pages) -> list[Route]:
    portal = pages.portal

    def form_page(
        session: Session,
        finding: find_services.Finding,
        values: dict[str, Any],
        answer: refer.Answer | None = None,
        status: int = 200,
    ) -> Response:
        return pages.render(
            session,
            "refer.html",
            status,
            page="refer",
            finding=finding,
            values=values,
            problems=answer.problems if answer else {},
            words=answer.words if answer else None,
            labels=LABEL,
            purposes=[(p.value, PURPOSE[p]) for p in Purpose],
            methods=[(m.value, METHOD[m]) for m in ConsentMethod],
            other_partners=[(p, name) for p, name in finding.partners if p != portal.partner],
        )

    async def refer_form(request: Request) -> Response:
        session = await pages.staff(request)
        params = {name: request.query_params.get(name, "") for name in SEARCH}
        finding = await find_services.find(portal.services, portal.directory, session.tokens.access_token, params)
        today = datetime.now(STOCKHOLM).date()
        values: dict[str, Any] = {
            **params,
            "purposes": [finding.search.need.value] if finding.search else [],
            "valid_until": new_referral.proposed_valid_until(today),
        }
        return form_page(session, finding, values)

    async def send(request: Request) -> Response:
        session, form = await pages.csrf_checked(request)
        params = {name: form_text(form.get(name)) or "" for name in SEARCH}
        finding = await find_services.find(portal.services, portal.directory, session.tokens.access_token, params)
        values = values_of(form)
        if finding.search is None:
            return form_page(session, finding, values, refer.Answer(words=refer.NOT_SENT), 400)
        personnummer = form_text(form.get("personnummer")) or ""
        multi = {name: [v for v in form.getlist(name) if isinstance(v, str)] for name in form}
        draft = new_referral.read(multi, finding.search, finding.found, now=datetime.now(UTC))
        problems = dict(draft) if isinstance(draft, dict) else {}
        if trouble := new_referral.personnummer_problem(personnummer):
            problems["personnummer"] = trouble
        if problems or isinstance(draft, dict):
            return form_page(session, finding, values, refer.Answer(problems=problems, words=refer.NOT_SENT), 400)
        answer = await refer.refer(
            portal.commands,
            portal.data_keys,
            custodian_key=portal.custodian_key,
            token=session.tokens.access_token,
            draft=draft,
            personnummer=personnummer,
            staff_id=session.staff_id,
        )
        if answer.referral_id is None:
            return form_page(session, finding, values, answer, 400)
        portal.sessions.put(replace(session, notice=SENT))
        return RedirectResponse(f"/referrals/{answer.referral_id}", status_code=303)

    return [Route("/refer", refer_form), Route("/refer", send, methods=["POST"])]


def values_of(form: FormData) -> dict[str, Any]:
    """What the staff member wrote, to fill the form in again (the personnummer too: typed once)."""
    values: dict[str, Any] = {name: form_text(form.get(name)) or "" for name in form if name != "csrf"}
    for many in ("consent_partners", "purposes"):
        values[many] = [v for v in form.getlist(many) if isinstance(v, str)]
    return values
