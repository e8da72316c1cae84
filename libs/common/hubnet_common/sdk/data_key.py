"""A partner's copy of a resident's data key, from the referrals service (the key's custodian).

`GET /data-key?participant_ref=…` answers the copy sealed to the X25519 key of the partner whose
access token asks (sdk/tokens.py). There is none (404) before consent covering that partner is
recorded, when it had published no encryption key then, and after the resident is erased.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

from hubnet_common.sdk.sealing import open_data_key
from hubnet_common.sdk.tokens import ClientCredentials


class DataKeyMissing(LookupError):
    """No copy of the resident's data key for this partner (never shared with it, or erased)."""


def fetch_data_key(
    referrals_url: str,
    participant_ref: str,
    partner_id: str,
    private_key_b64: str,
    *,
    tokens: ClientCredentials,
    timeout: float = 10.0,
) -> bytes:
    """The resident's data key, opened with the partner's private key; `tokens` are the partner's."""
    query = urllib.parse.urlencode({"participant_ref": participant_ref})
    request = urllib.request.Request(f"{referrals_url}/data-key?{query}", headers=tokens.authorization())
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            sealed_key = json.loads(response.read())["sealed_key"]
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise DataKeyMissing(f"{partner_id} holds no data key for this resident (none shared, or erased)") from None
        raise
    return open_data_key(sealed_key, private_key_b64)
