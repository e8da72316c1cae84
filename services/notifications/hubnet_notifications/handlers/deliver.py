"""Send what is due: e-mails and webhooks, each tried until delivered, refused for good or out of
attempts. The batch is sent concurrently, so one slow receiver does not hold up the others, and
every outcome is recorded and published on notification.events.v1 (without personal data).

A batch is leased (committed) before it is sent and its outcomes recorded afterwards in a second
transaction, so no transaction stays open while a mail server answers. Outcomes that cannot be
recorded (the database went away) are kept and recorded first when it answers again: a mail that
was accepted is never sent again because its record was lost. Only a process killed between the
send and the record leaves a notification to be sent again after the lease (same Message-ID), and
with several instances an outage longer than the lease could let a second one send it too."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

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


class Deliveries:
    """The delivery worker's state: outcomes sent but not yet recorded."""

    def __init__(self, channels: Channels, *, batch: int = 100, lease: timedelta = timedelta(seconds=30)) -> None:
        self.channels, self.batch, self.lease = channels, batch, lease
        self.unrecorded: dict[str, tuple[Notification, BaseException | None]] = {}
        self._recording = asyncio.Lock()

    async def deliver_due(self, uow_factory: Callable[[], NotificationsUnitOfWork]) -> int:
        """Try every due delivery once; returns how many were tried."""
        async with self._recording:
            await self._record_outcomes(uow_factory)
        async with uow_factory() as uow:
            due = await uow.notifications.claim_due(self.batch, self.lease)
            await uow.commit()
        failures = await asyncio.gather(
            *(self._send(uow_factory, n, address, secret) for n, address, secret in due), return_exceptions=True
        )
        for failure in failures:
            if failure is not None:
                raise failure  # the database is away: the worker pauses, the outcomes are kept
        return len(due)

    async def _send(self, uow_factory, n: Notification, address: str, secret: str | None) -> None:
        """Send one and record its outcome at once: a process killed right after a mail server
        accepted the mail is the only way it goes out twice, so that moment is kept short. The
        sends that finish while one transaction records are recorded together in the next."""
        try:
            await self.channels.send(n, address, secret)
            self.unrecorded[n.id] = (n, None)
        except Exception as exc:  # every failure is an outcome to record (retry, refused, given up)
            self.unrecorded[n.id] = (n, exc)
        async with self._recording:
            await self._record_outcomes(uow_factory)

    async def _record_outcomes(self, uow_factory: Callable[[], NotificationsUnitOfWork]) -> None:
        ids = list(self.unrecorded)
        if not ids:
            return
        async with uow_factory() as uow:
            for notification, outcome in (self.unrecorded[i] for i in ids):
                await record(uow, replace(notification), outcome)  # a copy: a failed try must not count twice
            await uow.commit()
        for i in ids:
            del self.unrecorded[i]


async def record(uow: NotificationsUnitOfWork, n: Notification, outcome: BaseException | None) -> None:
    """What became of one attempt: delivered, to be retried later, or failed for good."""
    bound = log.bind(notification_id=n.id, source_id=n.source_id, recipient_id=n.recipient_id, channel=n.channel)
    if outcome is None:
        n.delivered()
        if await uow.notifications.record_attempt(n):
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
    if not await uow.notifications.record_attempt(n, error=reason):
        return
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
