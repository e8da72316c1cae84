"""Signing and verifying with every key of the session's network (tests/conftest.py `network_keys`)."""

from __future__ import annotations

from dataclasses import replace

from hubnet_common.sdk.identity import owner_source
from hubnet_common.sdk.keys import read_key
from hubnet_common.sdk.signing import PublicSigningKey, Signer
from hubnet_common.sdk.trust import StaticKeyRing, Verifier
from hubnet_common.service.processing import Record
from hubnet_common.service.settings import Settings


def network_verifier() -> Verifier:
    """Verifies with every key of the session's network (tests/conftest.py `network_keys`)."""
    keys = [
        PublicSigningKey(owner_source(path.name.removesuffix(".ed25519.pub")), read_key(path))
        for path in Settings().keys_dir.glob("*.ed25519.pub")
    ]
    return Verifier(StaticKeyRing(keys), unknown_key_grace=0)


def signer(name: str) -> Signer:
    return Signer(read_key(Settings().keys_dir / f"{name}.ed25519.key"))


def signed(record: Record, by: str = "partner-bostadsbolaget") -> Record:
    return replace(record, headers=tuple(signer(by).sign(record.topic, record.key, record.headers, record.value)))
