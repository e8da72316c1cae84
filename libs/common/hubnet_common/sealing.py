"""Sealing a resident's contact details to the receiving partner (DESIGN §6).

The sending partner encrypts `ContactDetails` to the receiving partner's X25519 public key with a
libsodium sealed box (an ephemeral sender key per message, so two seals of the same details differ).
hubnet services (referrals, notifications) store and forward only the resulting ciphertext string;
only the receiving partner's private key opens it, and that key never leaves the partner.

Format: ``"sealed:v1:" + base64(SealedBox(recipient).encrypt(ContactDetails JSON))``; the version
tag lets the format evolve. Keys are base64 (standard alphabet) of the raw 32-byte X25519 keys.
Errors never include plaintext or key material.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass, field
from pathlib import Path

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox
from pydantic import BaseModel, ConfigDict, Field, ValidationError

PREFIX = "sealed:v1:"
_KEY_BYTES = 32


class SealedContactError(ValueError):
    """Sealed contact details (or a key) that cannot be used; the message says why, never what."""


class ContactDetails(BaseModel):
    """What a receiving partner needs to reach the resident. Only ever travels sealed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)
    language: str | None = Field(default=None, max_length=35)  # e.g. "sv", "ar", "so"
    note: str | None = Field(default=None, max_length=2000)


@dataclass(frozen=True)
class EncryptionKeyPair:
    """Base64 (standard alphabet) of the raw 32-byte X25519 keys. The private key is kept out of repr."""

    public: str
    private: str = field(repr=False)


def generate_encryption_keys() -> EncryptionKeyPair:
    key = PrivateKey.generate()
    return EncryptionKeyPair(public=_b64(bytes(key.public_key)), private=_b64(bytes(key)))


def seal_contact(details: ContactDetails, recipient_public_key_b64: str) -> str:
    """Encrypt the details to the recipient's public key; returns the versioned ciphertext string."""
    public = PublicKey(_decode_key(recipient_public_key_b64, "the recipient public key"))
    ciphertext = SealedBox(public).encrypt(details.model_dump_json().encode("utf-8"))
    return PREFIX + _b64(ciphertext)


def open_contact(sealed: str, private_key_b64: str) -> ContactDetails:
    """Decrypt sealed details with the receiving partner's private key."""
    if not sealed.startswith(PREFIX):
        raise SealedContactError(f"sealed contact details must start with {PREFIX!r}")
    try:
        ciphertext = base64.b64decode(sealed[len(PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise SealedContactError("sealed contact details are not valid base64") from None
    private = PrivateKey(_decode_key(private_key_b64, "the private key"))
    try:
        plaintext = SealedBox(private).decrypt(ciphertext)
    except CryptoError:
        raise SealedContactError(
            "cannot open sealed contact details: wrong private key, or the ciphertext was altered"
        ) from None
    try:
        return ContactDetails.model_validate_json(plaintext)
    except ValidationError as exc:
        # Only field locations and error types: pydantic's own message would echo the input.
        problems = ", ".join(".".join(map(str, e["loc"])) + f": {e['type']}" for e in exc.errors())
        raise SealedContactError(f"opened contact details do not match ContactDetails ({problems})") from None


def write_key_pair(directory: Path, name: str) -> tuple[Path, Path]:
    """Generate a key pair into `<name>.x25519.pub` (0644) and `<name>.x25519.key` (0600).

    Never overwrites an existing private key. Makes the directory (0700) when it is missing.
    Returns (public path, private path).
    """
    directory = Path(directory)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    public_path = directory / f"{name}.x25519.pub"
    private_path = directory / f"{name}.x25519.key"
    keys = generate_encryption_keys()
    try:
        fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise FileExistsError(
            f"{private_path} already exists; refusing to overwrite a private key (remove it first "
            "if you really mean to replace it, and publish the new public key)"
        ) from None
    with os.fdopen(fd, "w", encoding="ascii") as f:
        os.fchmod(f.fileno(), 0o600)
        f.write(keys.private + "\n")
    fd = os.open(public_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        os.fchmod(f.fileno(), 0o644)  # regardless of the umask
        f.write(keys.public + "\n")
    return public_path, private_path


def read_private_key(path: Path) -> str:
    return _read_key(Path(path), "private key")


def read_public_key(path: Path) -> str:
    return _read_key(Path(path), "public key")


def _read_key(path: Path, what: str) -> str:
    text = path.read_text(encoding="ascii", errors="replace").strip()
    _decode_key(text, f"the {what} in {path}")
    return text


def _decode_key(key_b64: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(key_b64.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise SealedContactError(f"{what} is not valid base64") from None
    if len(raw) != _KEY_BYTES:
        raise SealedContactError(f"{what} must be base64 of {_KEY_BYTES} bytes, got {len(raw)}")
    return raw


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
