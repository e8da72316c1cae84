"""`hubnet-referrals`: the referrals service process (Kafka consumers, outbox relay, HTTP probes)."""

from hubnet_common.runtime import run_service

from hubnet_referrals import bootstrap


def main() -> None:
    run_service(bootstrap.spec())
