"""A resident's data key (docs/adr/0006-crypto-shredding.md): who holds a copy of it. Pure rules, no I/O, no keys.

The referrals service is the key's custodian: it keeps the key only as copies sealed to each
holder's X25519 public key, one of them its own (`CUSTODIAN`), so later consents can add partners.
Every partner a consent involves (the one that recorded it and those it names) gets a copy, if it
has published an encryption key; a copy sealed to a key the partner has since replaced is made anew.
"""

from __future__ import annotations

from dataclasses import dataclass

from hubnet_referrals.domain.consent import Consent

CUSTODIAN = "referrals"


@dataclass(frozen=True)
class DataKeyCopy:
    holder: str
    sealed_to: str  # the holder's public key (base64)
    sealed_key: str  # the data key sealed to it (base64)


def readers(consent: Consent) -> list[str]:
    """The partners that may read what is sealed about the resident under this consent."""
    return list(dict.fromkeys((consent.recorded_by_partner_id, *consent.partner_ids)))


def holders_to_seal_for(wanted: dict[str, str | None], held: dict[str, DataKeyCopy]) -> dict[str, str]:
    """Of the wanted holders (id -> current public key, None if unpublished), those needing a new
    copy: no copy yet, or one sealed to a key they have since replaced."""
    return {
        holder: key
        for holder, key in wanted.items()
        if key is not None and (holder not in held or held[holder].sealed_to != key)
    }
