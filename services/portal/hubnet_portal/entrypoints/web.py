"""The portal's web app: the pages of each area (entrypoints/pages/) behind one set of security
headers, with a login for anyone who has no session.

    GET  /healthz, /              liveness; the start page is the inbox
    /signed-in, /logout           pages/login.py
    /inbox…                       pages/inbox.py
    /referrals…                   pages/referrals.py
    /directory                    pages/directory.py
    /hub-events…                  pages/hub_events.py
    /refer                        pages/refer.py
    /referrals/{id}/erasure       pages/erasure.py
    /follow-up                    pages/follow_up.py
    /settings…                    pages/settings.py
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from hubnet_portal.entrypoints.pages import (
    directory,
    erasure,
    follow_up,
    hub_events,
    inbox,
    login,
    refer,
    referrals,
    settings,
)
from hubnet_portal.entrypoints.site import HERE, Pages, Portal, SecurityHeaders, security_headers, templates
from hubnet_portal.handlers import log_in
from hubnet_portal.handlers.ports import NotLoggedIn

__all__ = ["Portal", "web_app"]
log = structlog.get_logger(__name__)
AREAS = (login, inbox, referrals, refer, erasure, directory, hub_events, follow_up, settings)


def web_app(portal: Portal, lifespan: Callable[[Starlette], Any]) -> Starlette:
    pages = Pages(portal, templates())

    async def healthz(_request: Request) -> Response:
        return PlainTextResponse("ok")

    async def home(_request: Request) -> Response:
        return RedirectResponse("/inbox", status_code=303)

    async def not_logged_in(request: Request, exc: Exception) -> Response:
        if request.method != "GET" or request.headers.get("hx-request"):
            return PlainTextResponse("log in again", status_code=401)
        address, state = log_in.begin(portal.sessions, portal.identity, request.url.path)
        response = RedirectResponse(address, status_code=303)
        response.set_cookie(
            portal.login_cookie, state, max_age=600, httponly=True, samesite="lax", secure=portal.secure_cookies
        )
        return response

    async def forbidden(request: Request, exc: Exception) -> Response:
        log.warning("form refused", reason=str(exc), path=request.url.path)
        return PlainTextResponse("forbidden", status_code=403)

    routes: list[BaseRoute] = [Route("/healthz", healthz), Route("/", home)]
    for area in AREAS:
        routes.extend(area.routes(pages))
    routes.append(Mount("/static", StaticFiles(directory=HERE / "static"), name="static"))
    app = Starlette(
        routes=routes,
        exception_handlers={NotLoggedIn: not_logged_in, PermissionError: forbidden},
        lifespan=lifespan,
    )
    app.add_middleware(SecurityHeaders, headers=security_headers(portal.issuer))
    return app
