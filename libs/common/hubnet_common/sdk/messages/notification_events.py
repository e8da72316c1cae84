"""Facts on `notification.events.v1`: what became of each delivery. No personal data: the
recipient is a staff id or a webhook id, and a failure says why by a code of `FailureReason`, never
with a mail server's reply or a receiver's answer (they name addresses and hosts; the notifications
service logs them)."""

from enum import StrEnum
from typing import Literal

from hubnet_common.sdk.messages.base import Fact

TOPIC = "notification.events.v1"
Channel = Literal["email", "webhook", "inbox"]


class FailureReason(StrEnum):
    """Why a delivery failed, as told outward (`notification.failed`, `/deliveries/failed`)."""

    SMTP_REFUSED = "smtp-refused"  # the mail server refused the mail for good (5xx)
    SMTP_DEFERRED = "smtp-deferred"  # it answered "try later" (4xx) until the attempts ran out
    SMTP_UNREACHABLE = "smtp-unreachable"  # no connection to it, or no answer in time
    WEBHOOK_REFUSED = "webhook-refused"  # the receiver answered 4xx (other than 408 and 429)
    WEBHOOK_REDIRECTED = "webhook-redirected"  # it answered 3xx: redirects are not followed
    WEBHOOK_UNAVAILABLE = "webhook-unavailable"  # it answered 5xx, 408 or 429 until the attempts ran out
    WEBHOOK_UNREACHABLE = "webhook-unreachable"  # no connection, no answer in time, or not HTTP
    ADDRESS_NOT_ALLOWED = "address-not-allowed"  # the webhook's host is not a public address
    ADDRESS_INVALID = "address-invalid"  # not a URL or e-mail address the service can send to
    RECIPIENT_UNKNOWN = "recipient-unknown"  # its staff member or endpoint is not stored (any more)
    DELIVERY_ERROR = "delivery-error"  # anything else (see the service's log)


class NotificationDelivered(Fact):
    """A mail, webhook call or digest item delivered. An inbox entry is not announced: it is
    written with the fact that caused it. `inbox` stays a channel for the facts already on the topic."""

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
    reason: FailureReason

    def subject(self) -> str:
        return self.notification_id
