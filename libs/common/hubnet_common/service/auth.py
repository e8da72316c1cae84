"""Who asks an HTTP question: bearer tokens of the identity provider, checked locally.

A token counts when its signature verifies with one of the realm's published keys (RS256 only),
its issuer is the realm, its audience names this service, and it is within `nbf`…`exp` (30 s of
leeway for clocks). The keys are fetched once and kept; a token naming a key id not among them
fetches them again, at most once per `refresh_seconds`, so a rotated key is picked up and a flood
of made-up key ids costs one fetch. When the provider cannot be reached the keys in hand stay in
use: tokens already issued keep working while it restarts (docs/adr/0013-identities.md).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import structlog
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

log = structlog.get_logger(__name__)

ALGORITHMS = ("RS256",)
# The realm roles the services check (ops/identity.py gives them out).
PARTNER_SYSTEM = "partner-system"  # every partner system's client
OPERATOR = "operator"  # dead letters, failed deliveries
MONITORING = "monitoring"  # /metrics


class Unauthenticated(Exception):
    """No usable token: missing, malformed, expired, for someone else, or signed by a key not the realm's.
    The reason is for the log only; the answer says no more than 401."""


@dataclass(frozen=True)
class Caller:
    """The identity a token proves: a partner's system, a staff member, or an operator's tool."""

    subject: str
    client: str
    partner: str | None = None
    staff_id: str | None = None
    roles: frozenset[str] = frozenset()
    hubs: tuple[str, ...] = ()
    language: str | None = None

    def has(self, role: str) -> bool:
        return role in self.roles

    @property
    def who(self) -> str:
        """How the audit log names the caller."""
        return self.staff_id or self.client

    @classmethod
    def of(cls, claims: dict[str, Any]) -> Caller:
        return cls(
            subject=str(claims.get("sub", "")),
            client=str(claims.get("azp", "")),
            partner=_text(claims.get("partner")),
            staff_id=_text(claims.get("staff_id")),
            roles=frozenset(str(role) for role in claims.get("roles") or ()),
            hubs=tuple(str(hub) for hub in claims.get("hubs") or ()),
            language=_text(claims.get("language")),
        )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


class TokenVerifier:
    def __init__(
        self,
        issuer: str,
        audience: str,
        *,
        fetch: Callable[[str], Any] | None = None,
        refresh_seconds: float = 10.0,
        leeway_seconds: int = 30,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.audience = audience
        self._fetch = fetch or _fetch_json
        self._refresh_seconds = refresh_seconds
        self._leeway = leeway_seconds
        self._clock = clock
        self._keys: KeySet | None = None
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()
        # One registry for every token: it reads the clock itself at each check.
        self._claims = jwt.JWTClaimsRegistry(
            now=lambda: int(self._clock()),
            leeway=self._leeway,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.audience},
            exp={"essential": True},
        )

    @property
    def jwks_url(self) -> str:
        # Keycloak's published keys; the discovery document names the same address.
        return f"{self.issuer}/protocol/openid-connect/certs"

    async def verify(self, token: str) -> Caller:
        try:
            header = jws.extract_compact(token.encode()).headers()
        except (JoseError, ValueError) as exc:
            raise Unauthenticated(f"malformed token: {exc}") from None
        if header.get("alg") not in ALGORITHMS:
            raise Unauthenticated(f"algorithm {header.get('alg')!r} is not accepted")
        keys = await self._keys_with(header.get("kid"))
        try:
            decoded = jwt.decode(token, keys, algorithms=list(ALGORITHMS))
            self._claims.validate(decoded.claims)
        except (JoseError, ValueError) as exc:
            raise Unauthenticated(f"token refused: {exc}") from None
        return Caller.of(decoded.claims)

    async def _keys_with(self, kid: Any) -> KeySet:
        if self._keys is not None and _holds(self._keys, kid):
            return self._keys
        async with self._lock:
            if self._keys is None or (
                not _holds(self._keys, kid) and self._clock() - self._fetched_at >= self._refresh_seconds
            ):
                await self._refresh()
        if self._keys is None or not _holds(self._keys, kid):
            raise Unauthenticated(f"no key {kid!r} among the realm's keys")
        return self._keys

    async def _refresh(self) -> None:
        self._fetched_at = self._clock()
        try:
            answer = await self._fetch(self.jwks_url)
            signing = [key for key in answer["keys"] if key.get("use", "sig") == "sig" and key.get("alg") in ALGORITHMS]
            self._keys = KeySet.import_key_set({"keys": signing})
            log.info("identity provider keys fetched", keys=len(signing), url=self.jwks_url)
        except Exception as exc:  # noqa: BLE001 - keep the keys in hand; the provider may be restarting
            log.warning("identity provider keys not fetched; keeping those in hand", url=self.jwks_url, error=repr(exc))


def _holds(keys: KeySet, kid: Any) -> bool:
    return any(key.kid == kid for key in keys.keys)


async def _fetch_json(url: str) -> Any:
    async with httpx.AsyncClient(timeout=5.0) as client:
        response = await client.get(url)
        response.raise_for_status()
        return response.json()
