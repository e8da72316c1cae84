"""`hubnet-events`: the hub events service process."""

from hubnet_common.service.runtime import run_service
from hubnet_events import bootstrap
from hubnet_events.settings import EventSettings


def main() -> None:
    settings = EventSettings()
    run_service(bootstrap.spec(settings), settings)
