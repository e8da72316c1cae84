"""What the portal's use cases need from outside: the identity provider, the services' HTTP APIs
(called as the staff member), the partner's Kafka client, and where sessions are kept."""

from __future__ import annotations

from typing import Any, Protocol

from hubnet_common.sdk.messages.base import Command
from hubnet_common.sdk.messages.replies import CommandAccepted, CommandRejected
from hubnet_common.service.auth import Caller
from hubnet_portal.domain.session import PendingLogin, Session, Tokens


class NotLoggedIn(Exception):
    """The session is gone, timed out, or its tokens no longer count: log in again."""


class IdentityProvider(Protocol):
    def login_address(self, pending: PendingLogin) -> str: ...

    def logout_address(self, id_token: str | None) -> str: ...

    async def exchange(self, code: str, verifier: str) -> Tokens: ...

    async def refresh(self, refresh_token: str) -> Tokens: ...

    async def staff_of(self, tokens: Tokens, nonce: str | None) -> Caller:
        """Who the tokens are of, once both are checked (signature, issuer, audience, nonce)."""
        ...


class Services(Protocol):
    async def inbox(self, token: str) -> dict[str, Any]: ...

    async def mark_read(self, token: str, entry_id: str) -> bool: ...

    async def referrals(
        self, token: str, role: str, *, filters: dict[str, str] | None = None, offset: int = 0, limit: int = 200
    ) -> list[dict[str, Any]]:
        """The partner's referrals in that role, newest first; `filters`: status, hub, service."""
        ...

    async def referral(self, token: str, referral_id: str) -> dict[str, Any] | None: ...

    async def directory(self, token: str) -> dict[str, Any]:
        """Partners, hubs and services (with their places now), as the referrals service lists them."""
        ...

    async def report(self, token: str, group_by: str, since: str | None = None) -> dict[str, Any]:
        """The referrals service's follow-up figures (`/report`), small cells suppressed there."""
        ...

    async def event_figures(self, token: str, since: str | None = None) -> list[dict[str, Any]]:
        """The events service's figures per hub, month and kind (`/figures`)."""
        ...

    async def own_record(self, token: str) -> dict[str, Any] | None:
        """The staff member's record in the notifications service (None: not registered there)."""
        ...

    async def subscriptions(self, token: str) -> list[dict[str, Any]]: ...

    async def webhooks(self, token: str) -> list[dict[str, Any]]:
        """The partner's webhook endpoints, without their secrets."""
        ...


class Directory(Protocol):
    """The network's directory in HSDS shape (the referrals service's /services, /locations)."""

    async def services(self, token: str, search: dict[str, str]) -> list[dict[str, Any]]:
        """The services matching `search` (HSDS parameters), each with its languages, hubs and capacity."""
        ...

    async def hubs(self, token: str) -> list[dict[str, Any]]: ...


class HubEvents(Protocol):
    """The events service's reads (GET /hub-events, /hub-events/{id})."""

    async def calendar(self, token: str, hub_id: str | None) -> list[dict[str, Any]]: ...

    async def hub_event(self, token: str, hub_event_id: str) -> dict[str, Any] | None: ...


class DataKeys(Protocol):
    async def data_key(self, token: str, participant_ref: str) -> bytes:
        """The resident's data key from the partner's copy, asked as the staff member: DataKeyMissing if none."""
        ...


class PartnerKeys(Protocol):
    """What the partner's own X25519 key opens for its portal."""

    def open_secret(self, sealed: str) -> str:
        """A webhook's secret sealed to the partner (SealingError if it does not open)."""
        ...


class Commands(Protocol):
    async def request(self, command: Command, *, timeout: float = 30.0) -> CommandAccepted | CommandRejected: ...


class Sessions(Protocol):
    def get(self, session_id: str | None) -> Session | None: ...

    def put(self, session: Session) -> None: ...

    def drop(self, session_id: str) -> None: ...

    def begin(self, pending: PendingLogin) -> None: ...

    def finish(self, state: str) -> PendingLogin | None:
        """The login begun with this state, once: a second return with it finds nothing."""
        ...
