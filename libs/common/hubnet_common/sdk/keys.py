"""Key files of partners and services (docs/security.md): an Ed25519 pair to sign messages and an X25519
pair that contact details are sealed to.

Files are named `<name>.ed25519.key|pub` and `<name>.x25519.key|pub`, where `<name>` says whose
they are: `partner-<partner id>` or `service-<service name>`. A key is base64 (standard alphabet)
of its raw 32 bytes on one line; private files are mode 0600 and never overwritten. Errors never
include key material.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass, field
from pathlib import Path

from nacl.public import PrivateKey
from nacl.signing import SigningKey

_KEY_BYTES = 32
KINDS = ("ed25519", "x25519")


class KeyInvalid(ValueError):
    """A key (or key file) that cannot be used; the message says why, never what."""


@dataclass(frozen=True)
class KeyPair:
    """Base64 of the raw 32-byte keys. The private key is kept out of repr."""

    public: str
    private: str = field(repr=False)


def generate(kind: str) -> KeyPair:
    if kind == "ed25519":
        signing = SigningKey.generate()
        return KeyPair(public=b64(bytes(signing.verify_key)), private=b64(bytes(signing)))
    if kind == "x25519":
        key = PrivateKey.generate()
        return KeyPair(public=b64(bytes(key.public_key)), private=b64(bytes(key)))
    raise ValueError(f"unknown key kind {kind!r}; one of {', '.join(KINDS)}")


def write_key_pair(directory: Path, name: str, kind: str) -> tuple[Path, Path]:
    """Generate a pair into `<name>.<kind>.pub` (0644) and `<name>.<kind>.key` (0600).

    Never overwrites an existing private key. Makes the directory (0700) when it is missing.
    Returns (public path, private path)."""
    directory = Path(directory)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    public_path, private_path = directory / f"{name}.{kind}.pub", directory / f"{name}.{kind}.key"
    keys = generate(kind)
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


def ensure_key_pairs(directory: Path, names: list[str]) -> list[Path]:
    """Both pairs for every name, generating only what is missing; returns the new private files."""
    made = []
    for name in names:
        for kind in KINDS:
            if not (Path(directory) / f"{name}.{kind}.key").exists():
                made.append(write_key_pair(directory, name, kind)[1])
    return made


def ensure_secret_key(path: Path) -> list[Path]:
    """A file of 32 random bytes (base64, mode 0600) at `path`, unless there is one; returns it if made.
    For the referrals service's pseudonymisation key (hubnet_common.sdk.participant.PSEUDONYM_KEY_FILE)."""
    path = Path(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return []
    with os.fdopen(fd, "w", encoding="ascii") as f:
        os.fchmod(f.fileno(), 0o600)
        f.write(b64(os.urandom(_KEY_BYTES)) + "\n")
    return [path]


def read_key(path: Path) -> str:
    """A key file's base64 text, checked to be 32 bytes."""
    path = Path(path)
    try:
        text = path.read_text(encoding="ascii", errors="replace").strip()
    except OSError as exc:
        raise KeyInvalid(f"cannot read the key file {path}: {exc.strerror}") from None
    decode(text, f"the key in {path}")
    return text


def decode(key_b64: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(key_b64.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise KeyInvalid(f"{what} is not valid base64") from None
    if len(raw) != _KEY_BYTES:
        raise KeyInvalid(f"{what} must be base64 of {_KEY_BYTES} bytes, got {len(raw)}")
    return raw


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
