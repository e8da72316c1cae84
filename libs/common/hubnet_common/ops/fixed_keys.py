"""Fixed test keys and deterministic sealing, for the contract's examples and test vectors
(docs/contract/): never for real traffic.

A libsodium sealed box draws a fresh ephemeral key pair each time, so its ciphertext differs on
every call. `sealed_box_with` builds the same construction from a given ephemeral secret key, so a
committed vector stays byte for byte what the generator makes; any libsodium opens it
(`crypto_box_seal_open`), and that is all a partner ever needs to do with one it receives.
"""

from __future__ import annotations

import base64
import hashlib

from nacl.bindings import crypto_box
from nacl.public import PrivateKey
from nacl.secret import SecretBox
from nacl.signing import SigningKey

from hubnet_common.sdk.sealing import PREFIX


def fixed_bytes(label: str, size: int = 32) -> bytes:
    """`size` bytes that follow from `label` alone (SHA-256 of it, repeated as needed)."""
    out = b""
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{label}#{counter}".encode()).digest()
        counter += 1
    return out[:size]


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def signing_seed(label: str) -> str:
    """Base64 of an Ed25519 seed: what a `*.ed25519.key` file holds."""
    return b64(fixed_bytes(f"ed25519:{label}"))


def signing_public(seed_b64: str) -> str:
    return b64(bytes(SigningKey(base64.b64decode(seed_b64)).verify_key))


def x25519_private(label: str) -> str:
    """Base64 of an X25519 private key: what a `*.x25519.key` file holds."""
    return b64(fixed_bytes(f"x25519:{label}"))


def x25519_public(private_b64: str) -> str:
    return b64(bytes(PrivateKey(base64.b64decode(private_b64)).public_key))


def seal_with_nonce(plaintext: bytes, data_key: bytes, nonce: bytes) -> str:
    """`sealed:v2:` + base64(nonce ‖ MAC ‖ ciphertext) of a SecretBox, as `sdk.sealing.seal_with_data_key`
    makes it with a random nonce."""
    return PREFIX + b64(bytes(SecretBox(data_key).encrypt(plaintext, nonce)))


def sealed_box_with(plaintext: bytes, recipient_public_b64: str, ephemeral_private: bytes) -> bytes:
    """libsodium's sealed box (`crypto_box_seal`) with a chosen ephemeral key: ephemeral public key
    ‖ crypto_box(plaintext, nonce = BLAKE2b-192(ephemeral public ‖ recipient public))."""
    recipient = base64.b64decode(recipient_public_b64)
    ephemeral = PrivateKey(ephemeral_private)
    epk = bytes(ephemeral.public_key)
    nonce = hashlib.blake2b(epk + recipient, digest_size=24).digest()
    return epk + crypto_box(plaintext, nonce, recipient, bytes(ephemeral))
