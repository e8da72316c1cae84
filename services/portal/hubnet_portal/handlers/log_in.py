"""Logging a staff member in (authorization code + PKCE on the identity provider's own page) and
keeping their session: only staff of the portal's own partner get one."""

from __future__ import annotations

import secrets
import time
from dataclasses import replace

import structlog

from hubnet_portal.domain.language import language_of
from hubnet_portal.domain.pkce import new_verifier
from hubnet_portal.domain.session import PendingLogin, Session, new_session_id, safe_next
from hubnet_portal.handlers.ports import IdentityProvider, NotLoggedIn, Sessions

log = structlog.get_logger(__name__)


class OtherPartner(Exception):
    """A staff member of another partner (or no staff member at all) came to this portal."""


def begin(sessions: Sessions, identity: IdentityProvider, next_path: str | None) -> tuple[str, str]:
    """(the login page's address, the state the browser must bring back)."""
    pending = PendingLogin(
        state=secrets.token_urlsafe(24),
        verifier=new_verifier(),
        nonce=secrets.token_urlsafe(24),
        next_path=safe_next(next_path),
        started_at=time.time(),
    )
    sessions.begin(pending)
    return identity.login_address(pending), pending.state


async def finish(
    sessions: Sessions, identity: IdentityProvider, *, partner: str, state: str, code: str, idle_seconds: float
) -> tuple[Session, str]:
    """The new session, and the page the staff member was on their way to."""
    pending = sessions.finish(state)
    if pending is None or pending.expired(time.time()):
        raise NotLoggedIn("no login under way with that state")
    tokens = await identity.exchange(code, pending.verifier)
    staff = await identity.staff_of(tokens, pending.nonce)
    if staff.partner != partner or staff.staff_id is None:
        log.warning("login refused: not staff of this portal's partner", staff=staff.staff_id, partner=staff.partner)
        raise OtherPartner(staff.partner or "")
    session = Session(
        id=new_session_id(),
        staff_id=staff.staff_id,
        partner=partner,
        language=language_of(staff.language),
        roles=staff.roles,
        tokens=tokens,
        expires_at=time.time() + idle_seconds,
    )
    sessions.put(session)
    log.info("staff member logged in", staff=staff.staff_id)
    return session, pending.next_path


async def current(
    sessions: Sessions, identity: IdentityProvider, session_id: str | None, *, idle_seconds: float
) -> Session:
    """The caller's session, its idle timeout moved on and its access token fresh."""
    session = sessions.get(session_id)
    now = time.time()
    if session is None or session.expired(now):
        if session is not None:
            sessions.drop(session.id)
        raise NotLoggedIn("no session")
    if not session.tokens.fresh(now):
        if session.tokens.refresh_token is None:
            raise NotLoggedIn("the access token ran out")
        try:
            session = replace(session, tokens=await identity.refresh(session.tokens.refresh_token))
        except Exception as exc:
            sessions.drop(session.id)
            raise NotLoggedIn("the tokens could not be refreshed") from exc
    session = session.touched(now, idle_seconds)
    sessions.put(session)
    return session


def log_out(sessions: Sessions, identity: IdentityProvider, session: Session) -> str:
    """Where the browser goes to end the identity provider's session too."""
    sessions.drop(session.id)
    log.info("staff member logged out", staff=session.staff_id)
    return identity.logout_address(session.tokens.id_token)
