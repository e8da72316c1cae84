"""What every page of the portal shares: the portal of one partner (`Portal`), the headers every
answer carries (`security_headers`: no inline script, no framing, nothing cached, no referrer), and
`Pages`, which renders a template in the staff member's language and finds who is asking.

Every page but /healthz and the static files needs a session; every form carries its CSRF token.
Pages never carry personal data in their addresses.
"""

from __future__ import annotations

import gettext
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hubnet_portal.domain.session import Session
from hubnet_portal.domain.words import action_words, status_words
from hubnet_portal.domain.worklist import SLA_KIND, sla_flag
from hubnet_portal.handlers import log_in
from hubnet_portal.handlers.ports import (
    Commands,
    DataKeys,
    Directory,
    HubEvents,
    IdentityProvider,
    PartnerKeys,
    Services,
    Sessions,
)

HERE = Path(__file__).resolve().parent.parent
STOCKHOLM = ZoneInfo("Europe/Stockholm")
REFERRAL_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


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
    directory: Directory
    hub_events: HubEvents
    custodian_key: str  # the referrals service's X25519 public key: personnummer are sealed to it
    calendar_url: str  # where residents' calendar apps reach the events service's /calendar.ics
    poll_seconds: int = 5
    keys: PartnerKeys | None = None  # webhook secrets, erasures

    @property
    def partner_keys(self) -> PartnerKeys:
        if self.keys is None:
            raise LookupError("this portal was given no partner keys")
        return self.keys

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


def language_name(code: str, language: str) -> str:
    """A language's name in the staff member's language (Babel's CLDR data), else its code."""
    try:
        return Locale.parse(language).languages.get(code) or code
    except (ValueError, UnknownLocaleError):
        return code


def local_day(value: str | datetime | None) -> str:
    """An SLA deadline (local midnight after its last day) as that last day."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return (moment.astimezone(STOCKHOLM) - timedelta(microseconds=1)).strftime("%Y-%m-%d")


def templates() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))
    env.filters["local_time"] = local_time
    env.filters["local_day"] = local_day
    env.globals.update(status_words=status_words, action_words=action_words, sla_flag=sla_flag, sla_kind=SLA_KIND)
    return env


@dataclass
class Pages:
    """What a page's handler needs besides its use case: rendering, and the staff member asking."""

    portal: Portal
    env: Environment

    def render(self, session: Session | None, name: str, status: int = 200, **context: Any) -> Response:
        portal = self.portal
        language = session.language if session else "sv"
        notice = session.notice if session else None
        if session and notice:
            portal.sessions.put(replace(session, notice=None))
        page = self.env.get_template(name).render(
            _=portal.translations[language].gettext,
            lang=language,
            session=session,
            partner=portal.partner,
            notice=notice,
            poll_seconds=portal.poll_seconds,
            **context,
        )
        return HTMLResponse(page, status_code=status)

    def part(self, session: Session, name: str, **context: Any) -> Markup:
        """A template's HTML in the staff member's language, to put into a page or a live update."""
        return Markup(
            self.env.get_template(name).render(
                _=self.portal.translations[session.language].gettext,
                lang=session.language,
                session=session,
                partner=self.portal.partner,
                **context,
            )
        )

    def with_live(self, session: Session, name: str, live_url: str, **context: Any) -> dict[str, Any]:
        """A page's context with its live part in it, and where its poller asks for changes."""
        content = self.part(session, name, **context)
        return {**context, "content": content, "seen": fingerprint(content), "live_url": live_url}

    def live(self, request: Request, session: Session, name: str, **context: Any) -> Response:
        """The live part of a page (`#live`), swapped in by the page's poller (templates/poller.html)
        only when it changed since the page last had it: unchanged, the answer is empty (204), so
        nothing moves under the staff member's cursor or focus."""
        content = self.part(session, name, **context)
        seen = fingerprint(content)
        if request.query_params.get("seen") == seen:
            return Response(status_code=204)
        query = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "seen"])
        live_url = f"{request.url.path}?{query}" if query else request.url.path
        return self.render(session, "live.html", content=content, seen=seen, live_url=live_url)

    async def staff(self, request: Request) -> Session:
        return await log_in.current(
            self.portal.sessions,
            self.portal.identity,
            request.cookies.get(self.portal.session_cookie),
            idle_seconds=self.portal.idle_seconds,
        )

    async def referral_of(self, request: Request, session: Session) -> dict[str, Any] | None:
        """The referral of the address's `{referral_id}` as the staff member may see it (None: no such one)."""
        referral_id = request.path_params["referral_id"]
        if not REFERRAL_ID.match(referral_id):
            return None
        return await self.portal.services.referral(session.tokens.access_token, referral_id)

    async def csrf_checked(self, request: Request) -> tuple[Session, Any]:
        session = await self.staff(request)
        form = await request.form()
        if not session.form_is_ours(form_text(form.get("csrf"))):
            raise PermissionError("a form without this session's CSRF token")
        return session, form


def fingerprint(content: str) -> str:
    return hashlib.sha256(content.encode()).hexdigest()[:24]


def form_text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def form_int(value: Any) -> int | None:
    text = form_text(value)
    return int(text) if text and text.isdigit() else None
