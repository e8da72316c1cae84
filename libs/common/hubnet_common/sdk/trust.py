"""Checking who sent a record before it is processed (docs/security.md, "Who sent it").

Verification keys come from two places:
- the hubnet services' own keys, trusted from files (`HUBNET_KEYS_DIR/service-<name>.ed25519.pub`,
  a mounted ConfigMap in a cluster): they sign every fact and answer, the directory's included;
- the partners' keys, from the directory (`PartnerUpserted.signing_keys` on directory.v1), which
  each service keeps in its `signing_keys` table. A rotation there (a key's `valid_until`) also
  overrides a trusted file for the same key.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.identity import owner_source, service_source
from hubnet_common.sdk.keys import read_key
from hubnet_common.sdk.signing import (
    Headers,
    PublicSigningKey,
    SignatureRefused,
    canonical_form,
    check_fresh,
    check_sender,
    mismatch,
    signature_matches,
    signature_of,
)
from hubnet_common.sdk.topics import FACT_OWNERS

PARTNER_PREFIX, SERVICE_PREFIX = "urn:hubnet:partner:", "urn:hubnet:service:"
UNKNOWN_KEY_MEMORY_SECONDS = 60.0
UNKNOWN_KEYS_KEPT = 10_000
# Below this many a batch's checks stay on the event loop: handing work to a thread costs about
# as much as checking a signature (about 85 µs here).
PARALLEL_FROM = 16
_CHECKER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="signature-check")


class KeyRing(Protocol):
    async def find(self, key_id: str) -> PublicSigningKey | None: ...


class StaticKeyRing:
    """Keys known in advance: the trusted service keys, or every key in a unit test."""

    def __init__(self, keys: Iterable[PublicSigningKey]) -> None:
        self.keys = {key.id: key for key in keys}

    async def find(self, key_id: str) -> PublicSigningKey | None:
        return self.keys.get(key_id)


def trusted_service_keys(keys_dir: Path | None) -> list[PublicSigningKey]:
    """The services' public keys from `service-<name>[.<label>].ed25519.pub` files (a label, e.g.
    `service-events.2027.ed25519.pub`, lets a service have a second key while it rotates). A key
    is valid until the ISO time in a `<same name>.valid-until` file beside it, if there is one."""
    if keys_dir is None:
        return []
    return [
        PublicSigningKey(
            owner_source(path.name.removesuffix(".ed25519.pub").split(".")[0]),
            read_key(path),
            valid_until=_valid_until(path),
        )
        for path in sorted(Path(keys_dir).glob("service-*.ed25519.pub"))
    ]


def _valid_until(public_key_file: Path) -> datetime | None:
    until = public_key_file.with_name(public_key_file.name + ".valid-until")
    if not until.exists():
        return None
    when = datetime.fromisoformat(until.read_text().strip())
    if when.tzinfo is None:
        raise ValueError(f"{until}: give the time with its zone, e.g. 2027-06-30T00:00:00+00:00")
    return when


@dataclass(frozen=True)
class Claim:
    """A record as read, and the envelope its headers gave: what `Verifier` checks."""

    key: bytes | None
    headers: Headers
    body: bytes | None
    envelope: Envelope
    received_at: datetime | None


async def _all_match(checks: list[tuple[PublicSigningKey, bytes, bytes]]) -> list[bool]:
    """Each (key, signature, form) checked; from PARALLEL_FROM on, half of them on a worker
    thread while this one checks the other half (libsodium releases the GIL)."""
    if len(checks) < PARALLEL_FROM:
        return _match(checks)
    half = len(checks) // 2
    first = asyncio.get_running_loop().run_in_executor(_CHECKER, _match, checks[:half])
    rest = _match(checks[half:])
    return [*await first, *rest]


def _match(checks: list[tuple[PublicSigningKey, bytes, bytes]]) -> list[bool]:
    return [signature_matches(*each) for each in checks]


class Verifier:
    """Proves a record was sent by its `ce_source`, or raises `SignatureRefused` saying why."""

    def __init__(
        self, keys: KeyRing, *, window: timedelta = timedelta(minutes=5), unknown_key_grace: float = 5.0
    ) -> None:
        self.keys = keys
        self.window = window
        # A partner's new key reaches this service's directory copy a moment after the directory
        # publishes it: a command signed with it may arrive first.
        self.unknown_key_grace = unknown_key_grace
        self._unknown: dict[str, float] = {}  # key id -> until when it is known to be unknown

    async def verify(
        self,
        key: bytes | None,
        headers,
        body: bytes | None,
        envelope: Envelope,
        *,
        received_at: datetime | None,
        command: bool,
        topic: str,
    ) -> PublicSigningKey:
        """`topic`: the topic the record was read from, without the deployment's prefix. The
        signature covers it, and a fact there must be signed by the service that owns it (FACT_OWNERS)."""
        [verdict] = await self.verify_all(
            [Claim(key, headers, body, envelope, received_at)], command=command, topic=topic
        )
        if isinstance(verdict, SignatureRefused):
            raise verdict
        return verdict

    async def verify_all(
        self, claims: Sequence[Claim], *, command: bool, topic: str
    ) -> list[PublicSigningKey | SignatureRefused]:
        """`verify` for records read together from `topic`: for each, its sender's key or why it
        was refused. A large batch's signatures are checked on two threads at once."""
        found: list[tuple[PublicSigningKey, bytes, bytes] | SignatureRefused] = []
        for claim in claims:
            try:
                key_id, signature = signature_of(claim.headers)
                public = await self._find(key_id)
                found.append((public, signature, canonical_form(topic, claim.key, claim.headers, claim.body)))
            except SignatureRefused as refused:
                found.append(refused)
        matched = iter(await _all_match([each for each in found if not isinstance(each, SignatureRefused)]))
        verdicts: list[PublicSigningKey | SignatureRefused] = []
        for claim, each in zip(claims, found, strict=True):
            if isinstance(each, SignatureRefused):
                verdicts.append(each)
            elif not next(matched):
                verdicts.append(mismatch(each[0]))
            else:
                verdicts.append(self._sent_by(each[0], claim, command=command, topic=topic))
        return verdicts

    def _sent_by(
        self, public: PublicSigningKey, claim: Claim, *, command: bool, topic: str
    ) -> PublicSigningKey | SignatureRefused:
        try:
            check_sender(public, claim.envelope.source, claim.envelope.time)
            expected, who = (PARTNER_PREFIX, "partners") if command else (SERVICE_PREFIX, "hubnet services")
            if not public.owner.startswith(expected):
                raise SignatureRefused("source-mismatch", f"these messages come from {who}, not from {public.owner}")
            if command:
                check_fresh(claim.envelope.time, claim.received_at or datetime.now(UTC), self.window)
            elif topic in FACT_OWNERS and public.owner != service_source(FACT_OWNERS[topic]):
                raise SignatureRefused(
                    "out-of-scope",
                    f"facts on {topic} come from the {FACT_OWNERS[topic]} service, not from {public.owner}",
                )
        except SignatureRefused as refused:
            return refused
        return public

    async def _find(self, key_id: str) -> PublicSigningKey:
        # A key that was waited for in vain is not waited for again for a while: otherwise every
        # record signed with made-up keys would hold its partition for the whole grace.
        waited_in_vain = self._unknown.get(key_id, 0.0) > time.monotonic()
        deadline = time.monotonic() + (0.0 if waited_in_vain else self.unknown_key_grace)
        while (public := await self.keys.find(key_id)) is None:
            if time.monotonic() >= deadline:
                self._remember_unknown(key_id)
                raise SignatureRefused("unknown-key", f"no partner or service has the key {key_id[:40]}")
            await asyncio.sleep(0.25)
        return public

    def _remember_unknown(self, key_id: str) -> None:
        if len(self._unknown) >= UNKNOWN_KEYS_KEPT:
            self._unknown.pop(next(iter(self._unknown)))  # the oldest
        self._unknown[key_id] = time.monotonic() + UNKNOWN_KEY_MEMORY_SECONDS
