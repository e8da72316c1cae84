"""Signing and verifying hubnet webhooks (part of the partner SDK).

hubnet delivers a webhook as an HTTP(S) ``POST`` of a small JSON document. Each endpoint has its own
secret (``new_secret()``, a string starting ``whsec_``) that hubnet and the receiver share. Every
request carries the header::

    Hubnet-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>

where the HMAC key is the secret string encoded as UTF-8 (the whole string, ``whsec_`` prefix
included) and the message is ``f"{t}.".encode() + body``: the timestamp, a dot, then the raw request
body exactly as received (bytes, not re-serialised JSON). While an endpoint's secret is being rotated
the header may carry several ``v1=`` values, one per secret in use; one match is enough.

How a receiver verifies (``verify()`` does all of this)::

    from hubnet_common.sdk.webhook_signature import SignatureInvalid, verify

    try:
        verify(raw_body, request.headers["Hubnet-Signature"], secret)
    except SignatureInvalid:
        return 400          # not from hubnet, altered, or too old

1. Split the header on ``,`` into ``key=value`` pairs; take ``t`` and every ``v1`` (ignore other keys).
2. Compute ``HMAC-SHA256(secret, f"{t}.".encode() + raw_body)`` as hex and compare it with each
   ``v1`` in constant time (``hmac.compare_digest``).
3. Reject the request unless ``t`` is within a tolerance (default five minutes) of the receiver's
   clock.

Why the timestamp is signed: replay protection. Without it, anyone who once saw a signed request
(a log, a proxy) could send it again later and it would still verify. Because ``t`` is inside the
HMAC it cannot be changed without the secret, so a captured request stops verifying once it is older
than the tolerance. Within the tolerance a receiver de-duplicates on the ``Hubnet-Delivery`` header
(hubnet retries deliveries, so the same delivery may legitimately arrive more than once).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

HEADER = "Hubnet-Signature"
SECRET_PREFIX = "whsec_"
DEFAULT_TOLERANCE_SECONDS = 300


class SignatureInvalid(ValueError):
    """The ``Hubnet-Signature`` header does not prove the body came from hubnet; the message says why."""


SEALED_PREFIX = "sealed-secret:v1:"


def _digest(body: bytes, secret: str, timestamp: int) -> str:
    return hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """The ``Hubnet-Signature`` header value for ``body`` (``timestamp`` defaults to now)."""
    t = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={t},v1={_digest(body, secret, t)}"


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for part in (header or "").split(","):
        key, sep, value = part.strip().partition("=")
        if not sep or not value:
            raise SignatureInvalid("malformed signature header: expected 't=<seconds>,v1=<hex>'")
        if key == "t":
            if timestamp is not None:
                raise SignatureInvalid("malformed signature header: more than one timestamp")
            if not value.isascii() or not value.isdigit():
                raise SignatureInvalid("malformed signature header: the timestamp is not an integer")
            timestamp = int(value)
        elif key == "v1":
            signatures.append(value)
        # other schemes (future versions) are ignored
    if timestamp is None:
        raise SignatureInvalid("malformed signature header: no timestamp (t=)")
    if not signatures:
        raise SignatureInvalid("malformed signature header: no v1 signature")
    return timestamp, signatures


def verify(
    body: bytes,
    header: str,
    secret: str,
    *,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
    now: int | None = None,
) -> None:
    """Return if ``header`` is a valid signature of ``body`` under ``secret``; else SignatureInvalid.

    ``body`` must be the raw request body. The timestamp must be within ``tolerance_seconds`` of
    ``now`` (default: the current time) in either direction.
    """
    timestamp, signatures = _parse(header)
    current = int(time.time()) if now is None else int(now)
    if abs(current - timestamp) > tolerance_seconds:
        raise SignatureInvalid(
            f"timestamp outside tolerance: {current - timestamp}s from now, at most {tolerance_seconds}s allowed"
        )
    expected = _digest(body, secret, timestamp).encode("ascii")
    # check every candidate (no early exit) so timing does not reveal which one matched
    matched = False
    for candidate in signatures:
        matched |= hmac.compare_digest(expected, candidate.encode("utf-8"))
    if not matched:
        raise SignatureInvalid("signature mismatch: no v1 signature matches this body and secret")


def seal_secret(secret: str, public_key_b64: str) -> str:
    """The secret sealed (libsodium sealed box, X25519) so that only the holder of the private key
    of `public_key_b64` opens it: how the notifications service hands a partner its endpoint's
    secret, and how it keeps it at rest (docs/adr/0008-webhook-secrets.md)."""
    from hubnet_common.sdk.sealing import seal_data_key

    return SEALED_PREFIX + seal_data_key(secret.encode("ascii"), public_key_b64)


def open_secret(sealed: str, private_key_b64: str) -> str:
    """What a partner does with `CommandAccepted.sealed_secret` of its `RegisterWebhook`, with its
    X25519 private key (`partner-<id>.x25519.key`); the secret to `verify` deliveries with."""
    from hubnet_common.sdk.sealing import SealingError, open_sealed

    if not sealed.startswith(SEALED_PREFIX):
        raise SealingError(f"a sealed webhook secret starts with {SEALED_PREFIX!r}")
    return open_sealed(sealed.removeprefix(SEALED_PREFIX), private_key_b64).decode("ascii")


def new_secret() -> str:
    """A fresh endpoint secret: ``whsec_`` + 32 random bytes, URL-safe base64 (no padding)."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)
