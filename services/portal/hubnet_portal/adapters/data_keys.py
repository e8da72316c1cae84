"""The partner's copy of a resident's data key, fetched as the staff member (`GET /data-key`, whose
answer the referrals service signs and records in its access log) and opened with the partner's
X25519 private key."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from hubnet_common.sdk.data_key import fetch_data_key
from hubnet_common.sdk.keys import read_key
from hubnet_common.sdk.trust import trusted_service_keys


@dataclass(frozen=True)
class StaffToken:
    access_token: str

    def authorization(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


class DataKeysOverHttp:
    def __init__(self, referrals_url: str, partner: str, private_key_file: Path, keys_dir: Path | None) -> None:
        self.referrals_url, self.partner = referrals_url.rstrip("/"), partner
        self._private_key = read_key(private_key_file)
        self._service_keys = trusted_service_keys(keys_dir)

    async def data_key(self, token: str, participant_ref: str) -> bytes:
        return await asyncio.to_thread(
            fetch_data_key,
            self.referrals_url,
            participant_ref,
            self.partner,
            self._private_key,
            service_keys=self._service_keys,
            tokens=StaffToken(token),
        )
