"""Settings of the referrals service (`HUBNET_*`), beyond what every service has."""

from pathlib import Path

from hubnet_common.sdk.participant import PSEUDONYM_KEY_FILE
from hubnet_common.service.settings import Settings

CUSTODIAN_KEY_FILE = "service-referrals.custodian.key"  # adapters/custodian.py


class ReferralSettings(Settings):
    sla_check_seconds: float = 30.0  # how often overdue referrals are looked for
    # The service's X25519 private key, which partners seal residents' personnummer to (and its
    # copies of data keys, until the custodian key is first rotated: adapters/custodian.py); default
    # `<keys_dir>/service-referrals.x25519.key`.
    encryption_key_file: Path | None = None
    # The X25519 key the service's copy of every data key is sealed to, never published and rotated
    # by `hubnet admin rotate-custodian-key` (adapters/custodian.py); default
    # `<keys_dir>/service-referrals.custodian.key`.
    custodian_key_file: Path | None = None
    # The key participant_ref is made with, held by this service alone (adapters/custodian.py);
    # default `<keys_dir>/service-referrals.pseudonym.key`.
    pseudonym_key_file: Path | None = None

    @property
    def personnummer_key_path(self) -> Path:
        if self.encryption_key_file is not None:
            return self.encryption_key_file
        if self.keys_dir is None:
            raise ValueError(
                "the referrals service needs its X25519 key: set HUBNET_ENCRYPTION_KEY_FILE or HUBNET_KEYS_DIR"
            )
        return self.keys_dir / "service-referrals.x25519.key"

    @property
    def custodian_key_path(self) -> Path | None:
        """None without a keys dir: then the copies stay sealed to the personnummer key."""
        if self.custodian_key_file is not None:
            return self.custodian_key_file
        return self.keys_dir / CUSTODIAN_KEY_FILE if self.keys_dir is not None else None

    @property
    def pseudonym_key_path(self) -> Path:
        if self.pseudonym_key_file is not None:
            return self.pseudonym_key_file
        if self.keys_dir is None:
            raise ValueError(
                "the referrals service needs its pseudonymisation key: set HUBNET_PSEUDONYM_KEY_FILE or HUBNET_KEYS_DIR"
            )
        return self.keys_dir / PSEUDONYM_KEY_FILE
