"""Sealing what concerns a resident under their data key (envelope encryption,
docs/adr/0006-crypto-shredding.md).

Every resident has one random 32-byte **data key**. The referrals service keeps it only as copies
sealed (libsodium sealed box, X25519) to each partner that may read about the resident, and one to
itself; a partner fetches its copy and opens it with its private key. Contact details and free
text about the resident travel and are stored as ``"sealed:v2:" + base64(nonce + ciphertext)`` of
a SecretBox (XSalsa20-Poly1305) under the data key, so destroying the key's copies makes every
copy of every such value unreadable, on Kafka topics and in backups too (crypto-shredding).

Keys are base64 (standard alphabet) of the raw 32 bytes. Errors never include plaintext or keys.
"""

from __future__ import annotations

import base64
import binascii

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.secret import SecretBox
from nacl.utils import random as random_bytes
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hubnet_common.sdk.keys import KeyInvalid, KeyPair, b64, decode, generate

PREFIX = "sealed:v2:"


class SealingError(ValueError):
    """A sealed value (or a key) that cannot be used; the message says why, never what."""


class ContactDetails(BaseModel):
    """What a receiving partner needs to reach the resident. Only ever travels sealed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)
    language: str | None = Field(default=None, max_length=35)  # e.g. "sv", "ar", "so"
    note: str | None = Field(default=None, max_length=2000)


def generate_encryption_keys() -> KeyPair:
    """An X25519 pair (key files: `hubnet keys generate`, hubnet_common.sdk.keys)."""
    return generate("x25519")


def public_key_of(private_key_b64: str) -> str:
    """The X25519 public key (base64) of a private one."""
    return b64(bytes(PrivateKey(_decode_key(private_key_b64, "the private key")).public_key))


def new_data_key() -> bytes:
    return random_bytes(SecretBox.KEY_SIZE)


def seal_data_key(data_key: bytes, recipient_public_key_b64: str) -> str:
    """A copy of the data key only the holder of the recipient's private key can open (base64)."""
    public = PublicKey(_decode_key(recipient_public_key_b64, "the recipient public key"))
    return b64(SealedBox(public).encrypt(data_key))


def open_sealed(sealed: str, private_key_b64: str, what: str = "the sealed value") -> bytes:
    """What `seal_data_key` sealed (any bytes), opened with the recipient's private key."""
    private = PrivateKey(_decode_key(private_key_b64, "the private key"))
    try:
        return SealedBox(private).decrypt(_unbase64(sealed, what))
    except CryptoError:
        raise SealingError(f"cannot open {what}: it was sealed to another key, or altered") from None


def open_data_key(sealed_key: str, private_key_b64: str) -> bytes:
    key = open_sealed(sealed_key, private_key_b64, "the sealed data key")
    if len(key) != SecretBox.KEY_SIZE:
        raise SealingError("the opened data key has the wrong length")
    return key


def seal_with_data_key(value: str | ContactDetails, data_key: bytes) -> str:
    """Free text, or contact details (as JSON), encrypted under the resident's data key."""
    plaintext = value.model_dump_json() if isinstance(value, ContactDetails) else value
    return PREFIX + b64(bytes(_box(data_key).encrypt(plaintext.encode("utf-8"))))


def open_with_data_key(sealed: str, data_key: bytes) -> str:
    if not sealed.startswith(PREFIX):
        raise SealingError(f"a sealed value must start with {PREFIX!r}")
    try:
        return _box(data_key).decrypt(_unbase64(sealed[len(PREFIX) :], "the sealed value")).decode("utf-8")
    except CryptoError:
        raise SealingError("cannot open the sealed value: another resident's data key, or it was altered") from None


def open_contact(sealed: str, data_key: bytes) -> ContactDetails:
    try:
        return ContactDetails.model_validate_json(open_with_data_key(sealed, data_key))
    except ValidationError as exc:
        # Only field locations and error types: pydantic's own message would echo the input.
        problems = ", ".join(".".join(map(str, e["loc"])) + f": {e['type']}" for e in exc.errors())
        raise SealingError(f"opened contact details do not match ContactDetails ({problems})") from None


def _box(data_key: bytes) -> SecretBox:
    if len(data_key) != SecretBox.KEY_SIZE:
        raise SealingError(f"a data key has {SecretBox.KEY_SIZE} bytes, not {len(data_key)}")
    return SecretBox(data_key)


def _unbase64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise SealingError(f"{what} is not valid base64") from None


def public_key_for(private_key_b64: str) -> str:
    return b64(bytes(PrivateKey(_decode_key(private_key_b64, "the private key")).public_key))


def _decode_key(key_b64: str, what: str) -> bytes:
    try:
        return decode(key_b64, what)
    except KeyInvalid as exc:
        raise SealingError(str(exc)) from None
