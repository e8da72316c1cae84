"""`hubnet-referrals`: the referrals service process (Kafka consumers, outbox relay, HTTP probes)."""

from hubnet_common.service.runtime import run_service
from hubnet_referrals import bootstrap
from hubnet_referrals.settings import ReferralSettings


def main() -> None:
    settings = ReferralSettings()
    run_service(bootstrap.spec(settings), settings)
