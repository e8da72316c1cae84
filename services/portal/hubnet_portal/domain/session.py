"""A staff member's session in the portal, and a login under way. Kept on the server: the browser
holds only a random session id in an HttpOnly cookie, never a token."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field, replace

LOGIN_SECONDS = 600  # a login started must come back from the identity provider within this


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str | None
    id_token: str | None
    access_expires_at: float  # seconds since the epoch

    def fresh(self, now: float, margin: float = 30.0) -> bool:
        return now + margin < self.access_expires_at


@dataclass(frozen=True)
class Session:
    id: str
    staff_id: str
    partner: str
    language: str
    tokens: Tokens
    expires_at: float  # idle timeout: every request moves it on
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    notice: str | None = None  # a message for the next page (a refusal, a step taken)
    roles: frozenset[str] = frozenset()  # the staff member's realm roles, from the login's token

    def has(self, role: str) -> bool:
        return role in self.roles

    def expired(self, now: float) -> bool:
        return now >= self.expires_at

    def touched(self, now: float, idle_seconds: float) -> Session:
        return replace(self, expires_at=now + idle_seconds)

    def form_is_ours(self, token: str | None) -> bool:
        """A form counts only with this session's CSRF token."""
        return bool(token) and hmac.compare_digest(self.csrf, token or "")


@dataclass(frozen=True)
class PendingLogin:
    """What the portal remembers between sending a browser to the login page and its return."""

    state: str
    verifier: str  # PKCE
    nonce: str
    next_path: str
    started_at: float

    def expired(self, now: float) -> bool:
        return now - self.started_at > LOGIN_SECONDS


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def safe_next(path: str | None) -> str:
    """Where to go after logging in: a path of the portal itself, never another site."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/inbox"
    return path
