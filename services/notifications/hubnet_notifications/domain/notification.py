"""A notification: one message to one staff member on one channel, and what became of it."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from hubnet_common.envelope import uuid7

from hubnet_notifications.domain.staff import StaffMember
from hubnet_notifications.domain.wording import Wording

MAX_EMAIL_ATTEMPTS = 8


@dataclass
class Notification:
    id: str
    source_id: str
    source_type: str
    staff_id: str
    channel: str
    subject: str
    body: str
    link: str
    status: str = "pending"
    attempts: int = 0

    @classmethod
    def for_staff(
        cls, member: StaffMember, channel: str, wording: Wording, *, link: str, source_id: str, source_type: str
    ) -> Notification:
        # The inbox is written in the same transaction as the notification: delivered at once.
        return cls(
            id=uuid7(), source_id=source_id, source_type=source_type, staff_id=member.id, channel=channel,
            subject=wording.subject, body=wording.text, link=link,
            status="delivered" if channel == "inbox" else "pending",
        )


def next_attempt(attempts: int, now: datetime) -> datetime:
    """Exponential backoff with jitter: about 2 s, 4 s, 8 s … capped at 10 minutes."""
    return now + timedelta(seconds=min(2**attempts, 600) * random.uniform(0.8, 1.2))


def gives_up(attempts: int) -> bool:
    return attempts >= MAX_EMAIL_ATTEMPTS
