"""`hubnet-events`: the hub events service process."""

from hubnet_common.runtime import run_service

from hubnet_events import bootstrap


def main() -> None:
    run_service(bootstrap.spec())
