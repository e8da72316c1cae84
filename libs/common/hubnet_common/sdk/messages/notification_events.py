"""Facts on `notification.events.v1`: what became of each delivery. No personal data: the
recipient is a staff id or a webhook id."""

from typing import Literal

from hubnet_common.sdk.messages.base import Fact

TOPIC = "notification.events.v1"
Channel = Literal["email", "webhook", "inbox"]


class NotificationDelivered(Fact):
    ce_type = "se.hubnet.notification.delivered.v1"
    topic = TOPIC

    notification_id: str
    source_id: str
    source_type: str
    recipient_id: str
    channel: Channel
    attempts: int

    def subject(self) -> str:
        return self.notification_id


class NotificationFailed(Fact):
    ce_type = "se.hubnet.notification.failed.v1"
    topic = TOPIC

    notification_id: str
    source_id: str
    source_type: str
    recipient_id: str
    channel: Channel
    attempts: int
    reason: str

    def subject(self) -> str:
        return self.notification_id
