"""What every page of the portal shares: the portal of one partner (`Portal`), the headers every
answer carries (`security_headers`: no inline script, no framing, nothing cached, no referrer), and
`Pages`, which renders a template in the staff member's language and finds who is asking.

Every page but /healthz and the static files needs a session; every form carries its CSRF token.
Pages never carry personal data in their addresses.
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hubnet_portal.domain.session import Session
from hubnet_portal.domain.words import action_words, status_words
from hubnet_portal.domain.worklist import SLA_KIND, sla_flag
from hubnet_portal.handlers import log_in
from hubnet_portal.handlers.ports import Commands, DataKeys, IdentityProvider, Services, Sessions

HERE = Path(__file__).resolve().parent.parent
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

    async def staff(self, request: Request) -> Session:
        return await log_in.current(
            self.portal.sessions,
            self.portal.identity,
            request.cookies.get(self.portal.session_cookie),
            idle_seconds=self.portal.idle_seconds,
        )

    async def csrf_checked(self, request: Request) -> tuple[Session, Any]:
        session = await self.staff(request)
        form = await request.form()
        if not session.form_is_ours(form_text(form.get("csrf"))):
            raise PermissionError("a form without this session's CSRF token")
        return session, form


def form_text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def form_int(value: Any) -> int | None:
    text = form_text(value)
    return int(text) if text and text.isdigit() else None
