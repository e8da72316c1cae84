"""The partner's X25519 private key (to open a webhook secret sealed to it) and the referrals
service's public key (to seal a resident's personnummer to), read from their files once."""

from __future__ import annotations

from pathlib import Path

from hubnet_common.sdk.keys import read_key
from hubnet_common.sdk.participant import custodian_public_key, seal_personnummer
from hubnet_common.sdk.webhook_signature import open_secret


class PartnerKeyFiles:
    def __init__(self, private_key_file: Path, keys_dir: Path | None) -> None:
        self._private_key = read_key(private_key_file)
        self._custodian = custodian_public_key(keys_dir) if keys_dir is not None else None

    def open_secret(self, sealed: str) -> str:
        return open_secret(sealed, self._private_key)

    def seal_personnummer(self, number: str) -> str:
        if self._custodian is None:
            raise LookupError("the portal needs HUBNET_KEYS_DIR: the referrals service's public key")
        return seal_personnummer(number, self._custodian)
