"""A notification: one message to one recipient (a staff member, or a partner's webhook) on one
channel, and what became of it. Exactly one per (source fact, recipient, channel)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hubnet_common.sdk.envelope import Envelope, uuid7
from hubnet_notifications.domain.staff import StaffMember
from hubnet_notifications.domain.wording import Wording

MAX_ATTEMPTS = 8


@dataclass
class Notification:
    id: str
    source_id: str
    source_type: str
    recipient_id: str
    channel: str
    subject: str
    body: str
    link: str
    status: str = "pending"
    attempts: int = 0
    mode: str = "immediate"
    document: dict | None = field(default=None)
    traceparent: str | None = None
    about_id: str | None = None  # the fact's subject: a referral or hub event id

    @classmethod
    def for_staff(
        cls, member: StaffMember, channel: str, wording: Wording, *, link: str, source: Envelope
    ) -> Notification:
        """The inbox entry is delivered as it is written; an e-mail waits for the delivery worker,
        or for the member's daily digest."""
        return cls(
            id=uuid7(),
            source_id=source.id,
            source_type=source.type,
            recipient_id=member.id,
            channel=channel,
            subject=wording.subject,
            body=wording.text,
            link=link,
            status="delivered" if channel == "inbox" else "pending",
            mode=member.delivery if channel == "email" else "immediate",
            traceparent=source.traceparent,
            about_id=source.subject,
        )

    @classmethod
    def for_webhook(cls, id: str, endpoint_id: str, document: dict, *, link: str, source: Envelope) -> Notification:
        return cls(
            id=id,
            source_id=source.id,
            source_type=source.type,
            recipient_id=endpoint_id,
            channel="webhook",
            subject=document["type"],
            body="",
            link=link,
            document=document,
            traceparent=source.traceparent,
            about_id=source.subject,
        )

    def delivered(self) -> None:
        self.attempts += 1
        self.status = "delivered"

    def failed_attempt(self, now: datetime) -> datetime | None:
        """Count a failed attempt; returns when to try again, or None when it is time to give up."""
        self.attempts += 1
        if self.attempts >= MAX_ATTEMPTS:
            self.status = "failed"
            return None
        return next_attempt(self.attempts, now)

    def refused(self) -> None:
        self.attempts += 1
        self.status = "failed"


def next_attempt(attempts: int, now: datetime) -> datetime:
    """Exponential backoff with jitter: about 2 s, 4 s, 8 s … capped at 10 minutes."""
    return now + timedelta(seconds=min(2**attempts, 600) * random.uniform(0.8, 1.2))
