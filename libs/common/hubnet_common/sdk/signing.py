"""Who sent it: every message is signed by the partner or service that sent it (docs/adr/0005-signed-form.md).

The signature is Ed25519 over a canonical form of the record, carried in the header
`hubnet_signature` as `v2;key=<key id>;sig=<base64 signature>`.

Canonical form v2 (UTF-8 bytes of compact JSON, keys sorted, non-ASCII escaped):

    {"body_sha256": <hex SHA-256 of the body>,
     "headers": [[name, value], ...],   # every `ce_*` header, `content-type` and `traceparent`,
                                        # sorted by name; values decoded as UTF-8
     "key": <the record key as UTF-8, or null>,
     "topic": <the topic's name without the deployment's prefix, e.g. "referral.commands.v1">,
     "v": 2}

The topic is in it so that a record copied onto another topic no longer verifies there
(docs/adr/0010-signed-form-covers-the-topic.md); v1, without it, is no longer accepted.

Those headers are everything a consumer reads (`Envelope.from_headers`), so no header that
changes how a message is processed goes unsigned; other headers (e.g. `dlq_*` added by dead
lettering) are not covered and are never used to decide anything. A header name that appears
twice is refused rather than guessed at.

A key id is `ed25519:` and the key's full RFC 7638 thumbprint (base64url SHA-256 of its JWK), so
it follows from the key, needs no registry and cannot be matched by another key.

A partner proves it holds a new key before the directory takes it (`prove_possession`): the new
key signs a statement naming the partner and itself, so no partner can claim another's published
public key as its own.

Verification (`verify`) checks, in this order: signed at all, key known, signature valid, key
belongs to the `ce_source`, key valid at the message's time, and for commands the message's time
within the window around the broker's time of the record (a replay of an old command).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from hubnet_common.sdk.keys import decode, read_key

SIGNATURE_HEADER = "hubnet_signature"
FORMAT = "v2"
SIGNED_PLAIN_HEADERS = ("content-type", "traceparent")
# What json.dumps(ensure_ascii=True) writes as it is: printable ASCII but the quote and backslash.
_AS_IT_IS = re.compile(r"[ !#-\[\]-~]*")
Headers = Sequence[tuple[str, bytes]]


class SignatureRefused(ValueError):
    """A message whose signature does not prove who sent it. `code` goes into dead letters."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def key_id(public_key_b64: str) -> str:
    """`ed25519:` and the RFC 7638 thumbprint of the key's JWK (OKP, Ed25519)."""
    x = _b64url(decode(public_key_b64, "the public key"))
    jwk = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"), sort_keys=True)
    return "ed25519:" + _b64url(hashlib.sha256(jwk.encode()).digest())


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _possession_statement(owner: str, public_key_b64: str) -> bytes:
    return f"hubnet possession v1\n{owner}\n{key_id(public_key_b64)}".encode()


def public_signing_key(private_key_b64: str) -> str:
    """Base64 of the public half of an Ed25519 private key."""
    return base64.b64encode(bytes(SigningKey(decode(private_key_b64, "the signing key")).verify_key)).decode()


def prove_possession(private_key_b64: str, owner: str) -> str:
    """Base64 of the new key's signature over a statement naming `owner` (a partner id) and the
    key itself: what a rotation carries to show the sender holds the key it names."""
    key = SigningKey(decode(private_key_b64, "the signing key"))
    public = base64.b64encode(bytes(key.verify_key)).decode()
    return base64.b64encode(key.sign(_possession_statement(owner, public)).signature).decode()


@functools.lru_cache(maxsize=1024)
def _verify_key(public_key_b64: str) -> VerifyKey:
    """Decoded once per key, not once per record."""
    return VerifyKey(decode(public_key_b64, "the public key"))


def proves_possession(public_key_b64: str, owner: str, proof_b64: str) -> bool:
    """True when `proof_b64` is the holder of `public_key_b64` signing for `owner`."""
    try:
        signature = base64.b64decode(proof_b64, validate=True)
        _verify_key(public_key_b64).verify(_possession_statement(owner, public_key_b64), signature)
    except (binascii.Error, ValueError, BadSignatureError):
        return False
    return True


@dataclass(frozen=True)
class PublicSigningKey:
    """A verification key and whose it is (a `ce_source`), valid from/until (None: open-ended)."""

    owner: str
    public_key: str
    valid_from: datetime | None = None
    valid_until: datetime | None = None

    @property
    def id(self) -> str:
        return key_id(self.public_key)

    def valid_at(self, when: datetime) -> bool:
        return (self.valid_from is None or self.valid_from <= when) and (
            self.valid_until is None or when < self.valid_until
        )


def _signed(name: str) -> bool:
    return (name.startswith("ce_") or name in SIGNED_PLAIN_HEADERS) and name != SIGNATURE_HEADER


def canonical_form(topic: str, key: bytes | None, headers: Headers, body: bytes | None) -> bytes:
    """`topic`: the name of the topic the record is written to, without the deployment's prefix."""
    signed = sorted((name, value) for name, value in headers if _signed(name))
    names = [name for name, _ in signed]
    if len(names) != len(set(names)):
        raise SignatureRefused("bad-signature", "a signed header appears more than once")
    try:
        values = [(value or b"").decode("utf-8") for _, value in signed]
        text_key = key.decode("utf-8") if key is not None else None
    except UnicodeDecodeError:
        raise SignatureRefused("bad-signature", "a signed header or the key is not UTF-8") from None
    body_sha256 = hashlib.sha256(body or b"").hexdigest()
    if not _AS_IT_IS.fullmatch("".join((*names, *values, text_key or "", topic))):
        document = {
            "body_sha256": body_sha256,
            "headers": [list(pair) for pair in zip(names, values, strict=True)],
            "key": text_key,
            "topic": topic,
            "v": 2,
        }
        return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
    # Nothing to escape, as in nearly every record: the same text without json.dumps, which cost
    # half of the form's time (BENCHMARKS.md).
    pairs = ",".join(f'["{name}","{value}"]' for name, value in zip(names, values, strict=True))
    quoted_key = f'"{text_key}"' if text_key is not None else "null"
    return f'{{"body_sha256":"{body_sha256}","headers":[{pairs}],"key":{quoted_key},"topic":"{topic}","v":2}}'.encode()


class Signer:
    """Signs records as one partner or service with its Ed25519 private key."""

    def __init__(self, private_key_b64: str) -> None:
        self._key = SigningKey(decode(private_key_b64, "the signing key"))
        self.key_id = key_id(base64.b64encode(bytes(self._key.verify_key)).decode())

    def __repr__(self) -> str:
        return f"Signer({self.key_id})"

    def sign(self, topic: str, key: bytes | None, headers: Headers, body: bytes | None) -> list[tuple[str, bytes]]:
        """The headers with the signature header added (an old one replaced), for a record written
        to `topic` (its name without the deployment's prefix)."""
        kept = [(name, value) for name, value in headers if name != SIGNATURE_HEADER]
        return [*kept, (SIGNATURE_HEADER, self.signature(canonical_form(topic, key, kept, body)).encode())]

    def signature(self, statement: bytes) -> str:
        """`v2;key=<key id>;sig=<base64>` over `statement`: a record's canonical form, or another
        signed document (e.g. a data-key answer, `data_key.py`) whose form cannot be taken for one."""
        signature = self._key.sign(statement).signature
        return f"{FORMAT};key={self.key_id};sig={base64.b64encode(signature).decode()}"


def own_signer(name: str, key_file: Path | None, keys_dir: Path | None) -> Signer:
    """A process's signing key: `key_file` (HUBNET_SIGNING_KEY_FILE), else `<name>.ed25519.key` in
    `keys_dir` (HUBNET_KEYS_DIR: how the local tools act as any partner or service)."""
    path = key_file or (keys_dir and Path(keys_dir) / f"{name}.ed25519.key")
    if not path or not Path(path).exists():
        raise LookupError(
            f"no signing key for {name}: set HUBNET_SIGNING_KEY_FILE, or HUBNET_KEYS_DIR to a "
            f"directory with {name}.ed25519.key (`hubnet keys generate {name}`)"
        )
    return Signer(read_key(path))


def signature_of(headers: Headers) -> tuple[str, bytes]:
    """(key id, signature) from the signature header; SignatureRefused when absent or malformed."""
    values = [value for name, value in headers if name == SIGNATURE_HEADER]
    if not values:
        raise SignatureRefused("unsigned", f"the message has no {SIGNATURE_HEADER} header")
    if len(values) > 1:
        raise SignatureRefused("bad-signature", f"the message has {len(values)} {SIGNATURE_HEADER} headers")
    return parse_signature(values[0] or b"", f"the {SIGNATURE_HEADER} header")


def parse_signature(value: bytes, what: str) -> tuple[str, bytes]:
    """(key id, signature) from `v2;key=…;sig=…`; SignatureRefused when it is not that."""
    try:
        version, key_part, sig_part = value.decode("ascii").split(";")
        if version != FORMAT or not key_part.startswith("key=") or not sig_part.startswith("sig="):
            raise ValueError
        signature = base64.b64decode(sig_part[4:], validate=True)
    except (UnicodeDecodeError, ValueError, binascii.Error):
        raise SignatureRefused("bad-signature", f"{what} is not {FORMAT};key=…;sig=…") from None
    return key_part[4:], signature


def check_statement(public: PublicSigningKey, signature: bytes, statement: bytes) -> None:
    """SignatureRefused unless `signature` is `public`'s over `statement`."""
    if not signature_matches(public, signature, statement):
        raise SignatureRefused("bad-signature", f"the signature does not match for key {public.id}")


def check_signature(
    public: PublicSigningKey, signature: bytes, topic: str, key: bytes | None, headers: Headers, body: bytes | None
) -> None:
    if not signature_matches(public, signature, canonical_form(topic, key, headers, body)):
        raise mismatch(public)


def signature_matches(public: PublicSigningKey, signature: bytes, form: bytes) -> bool:
    """Whether `signature` is `public`'s over `form` (a record's canonical form, or another signed
    statement). libsodium runs without the GIL here, so several threads can check at once."""
    try:
        _verify_key(public.public_key).verify(form, signature)
    except (BadSignatureError, ValueError):
        return False
    return True


def mismatch(public: PublicSigningKey) -> SignatureRefused:
    return SignatureRefused(
        "bad-signature",
        f"the signature does not match the topic, key, headers and body for key {public.id}"
        " (changed after signing, copied from another topic, or signed with another key)",
    )


def check_sender(public: PublicSigningKey, source: str, sent_at: datetime) -> None:
    if public.owner != source:
        raise SignatureRefused("source-mismatch", f"ce_source {source} is not the owner of key {public.id}")
    if not public.valid_at(sent_at):
        raise SignatureRefused(
            "key-not-valid", f"key {public.id} is not valid at {sent_at.isoformat()} (rotated out, or not yet valid)"
        )


def check_fresh(sent_at: datetime, received_at: datetime, window: timedelta) -> None:
    """A command must reach the broker within `window` of the time it says it was sent."""
    if abs(received_at - sent_at) > window:
        raise SignatureRefused(
            "replay",
            f"ce_time {sent_at.isoformat()} is more than {window.total_seconds():.0f} s"
            f" from the time the broker took it ({received_at.isoformat()})",
        )
