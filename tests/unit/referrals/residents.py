"""Residents as the referrals service knows them in unit tests: its X25519 pair and its
pseudonymisation key (adapters/custodian.py), made here, so tests can seal numbers to it and
predict the refs it makes (docs/adr/0007-custodian-pseudonyms.md)."""

import os
from pathlib import Path

from hubnet_common.sdk.keys import b64
from hubnet_common.sdk.participant import participant_ref, seal_personnummer
from hubnet_common.sdk.sealing import generate_encryption_keys
from hubnet_referrals.settings import ReferralSettings

CUSTODIAN = generate_encryption_keys()
PSEUDONYM_KEY = os.urandom(32)


def custodian_settings(directory: Path) -> ReferralSettings:
    """Settings whose custodian has the keys above, written to `directory`."""
    encryption, pseudonym = directory / "service-referrals.x25519.key", directory / "pseudonym.key"
    encryption.write_text(CUSTODIAN.private + "\n")
    pseudonym.write_text(b64(PSEUDONYM_KEY) + "\n")
    return ReferralSettings(encryption_key_file=encryption, pseudonym_key_file=pseudonym)


def sealed(number: str) -> str:
    return seal_personnummer(number, CUSTODIAN.public)


def ref_of(number: str) -> str:
    return participant_ref(number, PSEUDONYM_KEY)
