"""The portal's pages (server-rendered, Jinja2; htmx refreshes the inbox's entries):

    GET  /inbox                   the staff member's notifications, unread first
    GET  /inbox/entries           the same entries alone (what the inbox page polls for)
    POST /inbox/read              mark one read
    GET  /referrals               the worklist: incoming and outgoing referrals by status
    GET  /referrals/{id}          one referral: status, history, the steps this partner may take
    POST /referrals/{id}/steps    take one
    POST /referrals/{id}/resident the referral page with the resident's contact details and need opened
    GET  /signed-in               the identity provider's way back after logging in
    POST /logout

Every page but /healthz and the static files needs a session; every form carries its CSRF token.
Pages never carry personal data in their addresses, and the responses say how browsers must treat
them (`SECURITY_HEADERS`: no inline script, no framing, nothing cached, no referrer).
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import structlog
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hubnet_common.sdk.messages.vocabulary import MainActivity
from hubnet_portal.domain.actions import REASONS, offers
from hubnet_portal.domain.session import Session
from hubnet_portal.domain.words import MAIN_ACTIVITY, REASON, action_words, status_words
from hubnet_portal.domain.worklist import by_status, portal_path
from hubnet_portal.handlers import act, log_in
from hubnet_portal.handlers.log_in import OtherPartner
from hubnet_portal.handlers.open_resident import Opened, open_resident
from hubnet_portal.handlers.ports import Commands, DataKeys, IdentityProvider, NotLoggedIn, Services, Sessions

log = structlog.get_logger(__name__)
HERE = Path(__file__).resolve().parent.parent
REFERRAL_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
ENTRY_ID = re.compile(r"^[0-9a-fA-F-]{1,64}$")
STOCKHOLM = ZoneInfo("Europe/Stockholm")


@dataclass
class Portal:
    partner: str
    identity: IdentityProvider
    services: Services
    data_keys: DataKeys
    commands: Commands
    sessions: Sessions
    translations: Mapping[str, gettext.NullTranslations]  # by language
    idle_seconds: float
    secure_cookies: bool
    issuer: str
    poll_seconds: int = 5

    @property
    def session_cookie(self) -> str:
        # Named after the partner: portals on one host (127.0.0.1, other ports) share cookies.
        return f"hubnet_portal_{self.partner}"

    @property
    def login_cookie(self) -> str:
        return f"hubnet_login_{self.partner}"


def security_headers(issuer: str) -> dict[str, str]:
    provider = "{0.scheme}://{0.netloc}".format(urlparse(issuer))
    policy = "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self'",
            "connect-src 'self'",
            f"form-action 'self' {provider}",  # logging out ends on the identity provider's page
            "frame-ancestors 'none'",
            "base-uri 'none'",
        )
    )
    return {
        "content-security-policy": policy,
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        "x-frame-options": "DENY",
        "cache-control": "no-store",
    }


class SecurityHeaders:
    def __init__(self, app: ASGIApp, headers: dict[str, str]) -> None:
        self.app, self.headers = app, headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    if name == "cache-control" and scope["path"].startswith("/static/"):
                        continue
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, with_headers)


def local_time(value: str | datetime | None) -> str:
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")


def templates() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))
    env.filters["local_time"] = local_time
    env.globals.update(status_words=status_words, action_words=action_words)
    return env


def web_app(portal: Portal, lifespan: Callable[[Starlette], Any]) -> Starlette:
    env = templates()

    def render(request: Request, session: Session | None, name: str, status: int = 200, **context: Any) -> Response:
        language = session.language if session else "sv"
        notice = session.notice if session else None
        if session and notice:
            portal.sessions.put(replace(session, notice=None))
        page = env.get_template(name).render(
            _=portal.translations[language].gettext,
            lang=language,
            session=session,
            partner=portal.partner,
            notice=notice,
            poll_seconds=portal.poll_seconds,
            **context,
        )
        return HTMLResponse(page, status_code=status)

    async def staff(request: Request) -> Session:
        return await log_in.current(
            portal.sessions,
            portal.identity,
            request.cookies.get(portal.session_cookie),
            idle_seconds=portal.idle_seconds,
        )

    async def csrf_checked(request: Request) -> tuple[Session, Any]:
        session = await staff(request)
        form = await request.form()
        if not session.form_is_ours(_text(form.get("csrf"))):
            raise PermissionError("a form without this session's CSRF token")
        return session, form

    async def healthz(_request: Request) -> Response:
        return PlainTextResponse("ok")

    async def home(_request: Request) -> Response:
        return RedirectResponse("/inbox", status_code=303)

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
            return render(request, None, "other_partner.html", 403, logout=portal.identity.logout_address(None))
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

    async def logout(request: Request) -> Response:
        session, _form = await csrf_checked(request)
        response = RedirectResponse(log_in.log_out(portal.sessions, portal.identity, session), status_code=303)
        response.delete_cookie(portal.session_cookie, path="/")
        return response

    async def inbox_of(session: Session) -> dict[str, Any]:
        inbox = await portal.services.inbox(session.tokens.access_token)
        for entry in inbox["items"]:
            entry["path"] = portal_path(entry.get("link"))
        return inbox

    async def inbox(request: Request) -> Response:
        session = await staff(request)
        return render(request, session, "inbox.html", page="inbox", inbox=await inbox_of(session))

    async def inbox_entries(request: Request) -> Response:
        session = await staff(request)
        return render(request, session, "inbox_entries.html", inbox=await inbox_of(session))

    async def mark_read(request: Request) -> Response:
        session, form = await csrf_checked(request)
        entry_id = _text(form.get("id"))
        if entry_id and ENTRY_ID.match(entry_id):
            await portal.services.mark_read(session.tokens.access_token, entry_id)
        return RedirectResponse("/inbox", status_code=303)

    async def worklist(request: Request) -> Response:
        session = await staff(request)
        token = session.tokens.access_token
        incoming = by_status(await portal.services.referrals(token, "receiver"))
        outgoing = by_status(await portal.services.referrals(token, "sender"))
        return render(request, session, "worklist.html", page="worklist", incoming=incoming, outgoing=outgoing)

    async def referral_page(request: Request, session: Session, opened: Opened | None = None) -> Response:
        referral_id = request.path_params["referral_id"]
        found = await portal.services.referral(session.tokens.access_token, referral_id)
        if found is None or not REFERRAL_ID.match(referral_id):
            return render(request, session, "not_found.html", 404)
        if opened is None and request.method == "POST":
            opened = await open_resident(
                portal.data_keys, session.tokens.access_token, found, staff_id=session.staff_id
            )
        return render(
            request,
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
        return await referral_page(request, await staff(request))

    async def resident(request: Request) -> Response:
        session, _form = await csrf_checked(request)
        return await referral_page(request, session)

    async def take_step(request: Request) -> Response:
        session, form = await csrf_checked(request)
        referral_id = request.path_params["referral_id"]
        if not REFERRAL_ID.match(referral_id):
            return render(request, session, "not_found.html", 404)
        step = act.Step(
            referral_id=referral_id,
            action=_text(form.get("action")) or "",
            version=_int(form.get("version")),
            main_activity=_text(form.get("main_activity")) or None,
            public_support_continues={"yes": True, "no": False}.get(_text(form.get("public_support_continues")) or ""),
            reason_code=_text(form.get("reason_code")) or None,
        )
        outcome = await act.take(portal.commands, step, staff_id=session.staff_id)
        portal.sessions.put(replace(session, notice=outcome.words))
        return RedirectResponse(f"/referrals/{referral_id}", status_code=303)

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

    static = StaticFiles(directory=HERE / "static")
    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/", home),
            Route("/signed-in", signed_in),
            Route("/logout", logout, methods=["POST"]),
            Route("/inbox", inbox),
            Route("/inbox/entries", inbox_entries),
            Route("/inbox/read", mark_read, methods=["POST"]),
            Route("/referrals", worklist),
            Route("/referrals/{referral_id}", referral),
            Route("/referrals/{referral_id}/steps", take_step, methods=["POST"]),
            Route("/referrals/{referral_id}/resident", resident, methods=["POST"]),
            Mount("/static", static, name="static"),
        ],
        exception_handlers={NotLoggedIn: not_logged_in, PermissionError: forbidden},
        lifespan=lifespan,
    )
    app.add_middleware(SecurityHeaders, headers=security_headers(portal.issuer))
    return app


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    text = _text(value)
    return int(text) if text and text.isdigit() else None
