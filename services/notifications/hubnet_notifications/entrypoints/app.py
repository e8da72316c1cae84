"""`hubnet-notifications`: the notifications service process (consumers, e-mail worker, probes)."""

from hubnet_common.runtime import run_service

from hubnet_notifications import bootstrap


def main() -> None:
    run_service(bootstrap.spec())
