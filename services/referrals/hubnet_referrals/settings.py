"""Settings of the referrals service (`HUBNET_*`), beyond what every service has."""

from pathlib import Path

from hubnet_common.settings import Settings


class ReferralSettings(Settings):
    sla_check_seconds: float = 30.0  # how often overdue referrals are looked for
    # The service's X25519 private key, which its copy of every resident's data key is sealed to
    # (created when missing: see adapters/custodian.py).
    encryption_key_file: Path = Path(".local/keys/referrals.x25519.key")
