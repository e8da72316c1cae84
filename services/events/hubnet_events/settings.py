"""Settings of the events service (`HUBNET_*`), beyond what every service has."""

from hubnet_common.service.settings import Settings


class EventSettings(Settings):
    reminder_lead_hours: float = 24.0  # how long before an occurrence its reminder goes out
    reminder_check_seconds: float = 60.0
