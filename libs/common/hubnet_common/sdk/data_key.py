"""A partner's copy of a resident's data key, from the referrals service (the key's custodian).

`GET /data-key?participant_ref=…` answers the copy sealed to the X25519 key of the partner P whose
access token asks (`sdk/tokens.py`): of no use to anyone without P's private key. There is none
(404) before consent covering P is recorded, when P had published no encryption key then, and
after the resident is erased.

Sealing keeps the key secret, but not the answer true: anyone between the partner and the service
could answer with a data key of their own sealed to P's public key (which the directory shows
everyone), and read whatever P then seals with it; or with an old copy. So the service signs each
answer with its Ed25519 signing key, over the participant_ref, the partner, the sealed copy and
the time it answered (`answer_statement`), and `fetch_data_key` takes only an answer signed by the
referrals service (its key from the trusted service keys, `trust.trusted_service_keys`), about the
resident and partner it asked for, made within `MAX_AGE` (docs/adr/0010-signed-form-covers-the-topic.md).
It also refuses a plain `http://` URL other than loopback, unless told `allow_insecure_http`.
"""

from __future__ import annotations

import ipaddress
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from hubnet_common.sdk.identity import service_source
from hubnet_common.sdk.sealing import open_data_key
from hubnet_common.sdk.signing import (
    PublicSigningKey,
    SignatureRefused,
    Signer,
    check_statement,
    parse_signature,
)

MAX_AGE = timedelta(minutes=5)
CUSTODIAN = service_source("referrals")
_STATEMENT = "hubnet data-key answer v1"


class Bearer(Protocol):
    """Whose access token asks: the partner's own (`tokens.ClientCredentials`) or a staff member's."""

    def authorization(self) -> dict[str, str]: ...


class DataKeyMissing(LookupError):
    """No copy of the resident's data key for this partner (never shared with it, or erased)."""


class DataKeyAnswerRefused(ValueError):
    """An answer to the data-key request that does not prove it is the referrals service's, now,
    about this resident and this partner: not used."""


class InsecureURL(ValueError):
    """A plain http:// URL to a host other than this machine, without `allow_insecure_http`."""


def answer_statement(participant_ref: str, partner_id: str, sealed_key: str, answered_at: str) -> bytes:
    """What the signature of a data-key answer covers (compact JSON, keys sorted). Its keys are
    none of a record's canonical form, so neither signature can pass for the other."""
    document = {
        "answered_at": answered_at,
        "partner": partner_id,
        "participant_ref": participant_ref,
        "sealed_key": sealed_key,
        "statement": _STATEMENT,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def signed_answer(signer: Signer, participant_ref: str, partner_id: str, sealed_key: str, now: datetime) -> dict:
    """The referrals service's answer: the copy, what it is about, when, and its signature."""
    answered_at = now.astimezone(UTC).isoformat()
    statement = answer_statement(participant_ref, partner_id, sealed_key, answered_at)
    return {
        "participant_ref": participant_ref,
        "partner": partner_id,
        "sealed_key": sealed_key,
        "answered_at": answered_at,
        "signature": signer.signature(statement),
    }


def checked_answer(
    answer: object,
    participant_ref: str,
    partner_id: str,
    service_keys: Iterable[PublicSigningKey],
    now: datetime,
    max_age: timedelta = MAX_AGE,
) -> str:
    """The sealed copy from an answer signed by the referrals service about this resident and
    partner within `max_age` of `now`; DataKeyAnswerRefused saying why not."""
    if not isinstance(answer, dict) or not all(
        isinstance(answer.get(k), str) for k in ("participant_ref", "partner", "sealed_key", "answered_at")
    ):
        raise DataKeyAnswerRefused("the data-key answer is not one the referrals service gives")
    if not isinstance(answer.get("signature"), str):
        raise DataKeyAnswerRefused("the data-key answer is not signed: not from the referrals service")
    if (answer["participant_ref"], answer["partner"]) != (participant_ref, partner_id):
        raise DataKeyAnswerRefused(
            f"the data-key answer is about {answer['participant_ref'][:12]}… for {answer['partner']},"
            f" not the resident and partner asked for"
        )
    try:
        answered_at = datetime.fromisoformat(answer["answered_at"])
        if answered_at.tzinfo is None:
            raise ValueError
        key_id, signature = parse_signature(answer["signature"].encode(), "the data-key answer's signature")
        public = _custodian_key(service_keys, key_id, answered_at)
        statement = answer_statement(participant_ref, partner_id, answer["sealed_key"], answer["answered_at"])
        check_statement(public, signature, statement)
    except SignatureRefused as refused:
        raise DataKeyAnswerRefused(f"the data-key answer is not the referrals service's: {refused.reason}") from None
    except ValueError:
        raise DataKeyAnswerRefused("the data-key answer's time is not an ISO time with its zone") from None
    if abs(now - answered_at) > max_age:
        raise DataKeyAnswerRefused(
            f"the data-key answer was made at {answered_at.isoformat()}, more than"
            f" {max_age.total_seconds():.0f} s from now: an old answer sent again"
        )
    return answer["sealed_key"]


def _custodian_key(service_keys: Iterable[PublicSigningKey], key_id: str, at: datetime) -> PublicSigningKey:
    for public in service_keys:
        if public.id == key_id and public.owner == CUSTODIAN and public.valid_at(at):
            return public
    raise SignatureRefused("unknown-key", f"{key_id[:40]} is no key of the referrals service valid then")


def check_url(url: str, *, allow_insecure_http: bool = False) -> None:
    """InsecureURL unless https, or http to loopback, or http when `allow_insecure_http`."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and (allow_insecure_http or _loopback(parts.hostname))):
        return
    raise InsecureURL(
        f"{url}: the referrals service is reached over https (plain http only to this machine, or with"
        " allow_insecure_http=True on a network you trust)"
    )


def _loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def fetch_data_key(
    referrals_url: str,
    participant_ref: str,
    partner_id: str,
    private_key_b64: str,
    *,
    service_keys: Iterable[PublicSigningKey],
    tokens: Bearer,
    timeout: float = 10.0,
    allow_insecure_http: bool = False,
) -> bytes:
    """The resident's data key, opened with the partner's private key, from an answer the
    referrals service signed (its public key among `service_keys`, e.g.
    `trusted_service_keys(keys_dir)`): DataKeyAnswerRefused otherwise. `tokens` are the partner's
    or one of its staff's."""
    check_url(referrals_url, allow_insecure_http=allow_insecure_http)
    query = urllib.parse.urlencode({"participant_ref": participant_ref})
    request = urllib.request.Request(f"{referrals_url}/data-key?{query}", headers=tokens.authorization())
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise DataKeyMissing(f"{partner_id} holds no data key for this resident (none shared, or erased)") from None
        raise
    try:
        answer = json.loads(raw)
    except ValueError:
        raise DataKeyAnswerRefused("the data-key answer is not JSON") from None
    sealed_key = checked_answer(answer, participant_ref, partner_id, list(service_keys), datetime.now(UTC))
    return open_data_key(sealed_key, private_key_b64)
