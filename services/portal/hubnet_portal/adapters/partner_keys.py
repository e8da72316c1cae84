"""The partner's X25519 private key, read from its file once: it opens a webhook secret sealed to
the partner. (What the portal seals to the referrals service, it seals with `Portal.custodian_key`.)"""

from __future__ import annotations

from pathlib import Path

from hubnet_common.sdk.keys import read_key
from hubnet_common.sdk.webhook_signature import open_secret


class PartnerKeyFiles:
    def __init__(self, private_key_file: Path) -> None:
        self._private_key = read_key(private_key_file)

    def open_secret(self, sealed: str) -> str:
        return open_secret(sealed, self._private_key)
