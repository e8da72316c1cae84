"""Logging in and out:

GET  /signed-in               the identity provider's way back after logging in
POST /logout
"""

from __future__ import annotations

from dataclasses import replace

import httpx
import structlog
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from hubnet_portal.domain.language import language_of
from hubnet_portal.domain.session import Session
from hubnet_portal.entrypoints.site import Pages
from hubnet_portal.handlers import log_in
from hubnet_portal.handlers.log_in import OtherPartner
from hubnet_portal.handlers.ports import NotLoggedIn

log = structlog.get_logger(__name__)


def routes(pages: Pages) -> list[Route]:
    portal = pages.portal

    async def signed_in(request: Request) -> Response:
        state, code = request.query_params.get("state", ""), request.query_params.get("code", "")
        if not state or not code or request.cookies.get(portal.login_cookie) != state:
            raise NotLoggedIn("a return from the login page this browser did not start")
        try:
            session, next_path = await log_in.finish(
                portal.sessions,
                portal.identity,
                partner=portal.partner,
                state=state,
                code=code,
                idle_seconds=portal.idle_seconds,
            )
        except OtherPartner:
            return pages.render(None, "other_partner.html", 403, logout=portal.identity.logout_address(None))
        session = await _in_chosen_language(session)
        response = RedirectResponse(next_path, status_code=303)  # kept with the login, on the server
        response.delete_cookie(portal.login_cookie, path="/")
        response.set_cookie(
            portal.session_cookie,
            session.id,
            httponly=True,
            samesite="lax",
            secure=portal.secure_cookies,
            path="/",
        )
        return response

    async def _in_chosen_language(session: Session) -> Session:
        """The language the staff member chose in their settings (the notifications service's record
        of them), over the identity provider's attribute; that one when no record answers."""
        try:
            record = await portal.services.own_record(session.tokens.access_token)
        except (httpx.HTTPError, NotLoggedIn) as exc:
            log.warning("own record not read at login", staff=session.staff_id, error=repr(exc))
            return session
        if record is None or language_of(record.get("language")) == session.language:
            return session
        chosen = replace(session, language=language_of(record.get("language")))
        portal.sessions.put(chosen)
        return chosen

    async def logout(request: Request) -> Response:
        session, _form = await pages.csrf_checked(request)
        response = RedirectResponse(log_in.log_out(portal.sessions, portal.identity, session), status_code=303)
        response.delete_cookie(portal.session_cookie, path="/")
        return response

    return [Route("/signed-in", signed_in), Route("/logout", logout, methods=["POST"])]
