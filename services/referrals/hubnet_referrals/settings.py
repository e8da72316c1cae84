"""Settings of the referrals service (`HUBNET_*`), beyond what every service has."""

from hubnet_common.settings import Settings


class ReferralSettings(Settings):
    sla_check_seconds: float = 30.0  # how often overdue referrals are looked for
