"""Send what is due: e-mails and webhooks, each tried until delivered, refused for good or out of
attempts. The batch is sent concurrently, so one slow receiver does not hold up the others, and
every outcome is recorded and published on notification.events.v1 (without personal data)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import structlog
from hubnet_common.envelope import Envelope
from hubnet_common.messages.notification_events import NotificationDelivered, NotificationFailed

from hubnet_notifications.adapters.mailer import MailRejected
from hubnet_notifications.adapters.uow import NotificationsUnitOfWork
from hubnet_notifications.adapters.webhook import WebhookRejected
from hubnet_notifications.domain.notification import Notification
from hubnet_notifications.domain.wording import Wording

log = structlog.get_logger(__name__)


class Channels:
    """The senders, one per channel (real adapters in the service, fakes in tests)."""

    def __init__(self, mailer, webhooks) -> None:
        self.mailer, self.webhooks = mailer, webhooks

    async def send(self, n: Notification, address: str, secret: str | None) -> None:
        if n.channel == "email":
            await self.mailer.send(address, Wording(n.subject, n.body), message_id=n.id)
        else:
            await self.webhooks.send(address, secret, n.document, delivery_id=n.id)


async def deliver_due(uow_factory: Callable[[], NotificationsUnitOfWork], channels: Channels, *, batch: int = 20) -> int:
    """Try every due delivery once; returns how many were tried."""
    async with uow_factory() as uow:
        due = await uow.notifications.claim_due(batch)
        outcomes = await asyncio.gather(
            *(channels.send(n, address, secret) for n, address, secret in due), return_exceptions=True
        )
        for (notification, _, _), outcome in zip(due, outcomes):
            await record(uow, notification, outcome)
        await uow.commit()
    return len(due)


async def record(uow: NotificationsUnitOfWork, n: Notification, outcome: BaseException | None) -> None:
    """What became of one attempt: delivered, to be retried later, or failed for good."""
    bound = log.bind(notification_id=n.id, source_id=n.source_id, recipient_id=n.recipient_id, channel=n.channel)
    if outcome is None:
        n.delivered()
        await uow.notifications.record_attempt(n)
        uow.emit(delivered(n), caused_by=_cause(n))
        bound.info("delivered", attempt=n.attempts)
    elif isinstance(outcome, (MailRejected, WebhookRejected)):
        n.refused()
        await _failed(uow, n, f"refused: {outcome}")
        bound.warning("refused for good", error=str(outcome))
    else:
        retry_at = n.failed_attempt(datetime.now(UTC))
        if retry_at is None:
            await _failed(uow, n, f"gave up after {n.attempts} attempts: {outcome!r}")
            bound.warning("failed for good", error=repr(outcome), attempts=n.attempts)
        else:
            await uow.notifications.record_attempt(n, error=repr(outcome), retry_at=retry_at)
            bound.info("will be retried", error=repr(outcome), attempt=n.attempts, retry_at=retry_at.isoformat())


def delivered(n: Notification) -> NotificationDelivered:
    return NotificationDelivered(notification_id=n.id, source_id=n.source_id, source_type=n.source_type,
                                 recipient_id=n.recipient_id, channel=n.channel, attempts=max(n.attempts, 1))


async def _failed(uow: NotificationsUnitOfWork, n: Notification, reason: str) -> None:
    await uow.notifications.record_attempt(n, error=reason)
    uow.emit(
        NotificationFailed(notification_id=n.id, source_id=n.source_id, source_type=n.source_type,
                           recipient_id=n.recipient_id, channel=n.channel, attempts=n.attempts, reason=reason[:500]),
        caused_by=_cause(n),
    )


def _cause(n: Notification) -> Envelope | None:
    """The fact that caused the notification, as far as the trace is concerned."""
    if not n.traceparent:
        return None
    return Envelope(id=n.source_id, source="", type=n.source_type, subject="", time=datetime.now(UTC),
                    traceparent=n.traceparent)
