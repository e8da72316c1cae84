"""Facts on `hubevent.events.v1`, published by the events service."""

from datetime import datetime

from hubnet_common.messages.base import Fact

TOPIC = "hubevent.events.v1"


class HubEventScheduled(Fact):
    ce_type = "se.hubnet.hubevent.scheduled.v1"
    topic = TOPIC

    hub_event_id: str
    version: int
    hub_id: str
    organiser_partner_id: str
    kind: str
    title: str
    starts_at: datetime
    ends_at: datetime
    capacity: int

    def subject(self) -> str:
        return self.hub_event_id
