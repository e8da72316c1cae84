"""`hubnet-notifications`: the notifications service process (consumers, e-mail worker, probes)."""

from hubnet_common.service.runtime import run_service
from hubnet_notifications import bootstrap
from hubnet_notifications.settings import NotificationSettings


def main() -> None:
    settings = NotificationSettings()
    run_service(bootstrap.spec(settings), settings)
