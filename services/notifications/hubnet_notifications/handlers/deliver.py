"""Send what is due: e-mails and webhooks, each tried until delivered, refused for good or out of
attempts. The batch is sent concurrently, so one slow receiver does not hold up the others, and
every outcome is recorded and published on notification.events.v1 (without personal data).

A batch is leased (committed) before it is sent. Each mail is marked handed over in the same step
as its last byte goes to the server (`Handovers`), and its acceptance recorded the moment it
arrives, by a recorder that does nothing else (`AcceptedOutcomes`). A mail handed over by a worker
that died before the answer counts as delivered after the lease; one refused is taken back. Only a
kill between the last byte and the handover written right after it sends a mail twice, with the same
Message-ID (docs/adr/0001-delivery-outcomes.md). Failures are recorded together after the batch: losing one
only means one more try. Outcomes that cannot be recorded (the database went away) are kept and
recorded first when it answers again: an accepted mail is never sent again because its record
was lost."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import structlog

from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.identity import service_source
from hubnet_common.sdk.messages.notification_events import FailureReason, NotificationDelivered, NotificationFailed
from hubnet_common.service.uow import Outgoing
from hubnet_notifications import SERVICE
from hubnet_notifications.domain.notification import Notification
from hubnet_notifications.domain.wording import Wording
from hubnet_notifications.handlers.ports import (
    AcceptedOutcomes,
    DeliveryFailed,
    DeliveryRefused,
    HandedOver,
    Handovers,
    Mailer,
    UnitOfWork,
    UnitOfWorkFactory,
    WebhookSender,
)

log = structlog.get_logger(__name__)


class Channels:
    """The senders, one per channel (real adapters in the service, fakes in tests)."""

    def __init__(self, mailer: Mailer, webhooks: WebhookSender, open_secret: Callable[[str], str]) -> None:
        # open_secret: an endpoint's stored secret (sealed to the service's key) in clear, just
        # for signing (docs/adr/0008-webhook-secrets.md)
        self.mailer, self.webhooks, self.open_secret = mailer, webhooks, open_secret

    async def send(
        self, n: Notification, address: str | None, secret: str | None, *, handed_over: HandedOver | None = None
    ) -> None:
        if address is None:  # its staff member or endpoint is not stored (PgNotifications.claim_due)
            raise DeliveryFailed(f"no address for {n.recipient_id}", FailureReason.RECIPIENT_UNKNOWN)
        if n.channel == "email":
            await self.mailer.send(address, Wording(n.subject, n.body), message_id=n.id, handed_over=handed_over)
        elif secret is None or n.document is None:  # an endpoint's secret is NOT NULL (migrations/0002)
            raise DeliveryFailed(f"webhook {n.recipient_id} has no secret, or notification {n.id} no document")
        else:
            await self.webhooks.send(address, self.open_secret(secret), n.document, delivery_id=n.id)


class Deliveries:
    """The delivery worker's state: failed attempts not yet recorded."""

    def __init__(
        self,
        channels: Channels,
        accepted: AcceptedOutcomes,
        handovers: Handovers,
        *,
        batch: int = 100,
        lease: timedelta = timedelta(seconds=30),
    ) -> None:
        self.channels, self.accepted, self.handovers = channels, accepted, handovers
        self.batch, self.lease = batch, lease
        self.unrecorded: dict[str, tuple[Notification, BaseException]] = {}

    async def deliver_due(self, uow_factory: UnitOfWorkFactory) -> int:
        """Try every due delivery once; returns how many were tried."""
        await self.accepted.flush()
        await self._record_failures(uow_factory)
        async with uow_factory() as uow:
            handed = await uow.notifications.handed_over_unanswered(self.batch)
            due = await uow.notifications.claim_due(self.batch, self.lease)
            await uow.commit()
        for n in handed:  # their worker died between the last byte and the answer: the server has them
            await self._accepted(n)
        failures = await asyncio.gather(
            *(self._send(n, address, secret) for n, address, secret in due), return_exceptions=True
        )
        await self._record_failures(uow_factory)
        for failure in failures:
            if failure is not None:
                raise failure  # the database is away: the worker pauses, the outcomes are kept
        return len(due)

    async def _send(self, n: Notification, address: str | None, secret: str | None) -> None:
        try:
            if n.channel == "email":
                async with self.handovers.of(n.id) as handover:
                    await self.channels.send(n, address, secret, handed_over=handover.commit)
            else:
                await self.channels.send(n, address, secret)
        except Exception as exc:  # noqa: BLE001 - every failure is an outcome to record (retry, refused, given up)
            self.unrecorded[n.id] = (n, exc)
            return
        await self._accepted(n)

    async def _accepted(self, n: Notification) -> None:
        sent = replace(n)
        sent.delivered()
        await self.accepted.record(n.id, sent.attempts, delivered_fact(sent))
        log.info(
            "delivered",
            notification_id=n.id,
            source_id=n.source_id,
            recipient_id=n.recipient_id,
            channel=n.channel,
            attempt=sent.attempts,
        )

    async def _record_failures(self, uow_factory: UnitOfWorkFactory) -> None:
        ids = list(self.unrecorded)
        if not ids:
            return
        async with uow_factory() as uow:
            for notification, outcome in (self.unrecorded[i] for i in ids):
                await record_failure(uow, replace(notification), outcome)  # a copy: a failed try must not count twice
            await uow.commit()
        for i in ids:
            del self.unrecorded[i]


def delivered_fact(n: Notification) -> Outgoing:
    """`notification.delivered` for a notification just accepted, ready for the outbox."""
    return Outgoing.of(delivered(n), source=service_source(SERVICE), caused_by=_cause(n))


async def record_failure(uow: UnitOfWork, n: Notification, outcome: BaseException) -> None:
    """What became of a failed attempt: to be retried later, or failed for good. Only its reason
    code is recorded and published; what the receiver said goes to the log."""
    reason = reason_of(outcome)
    bound = log.bind(
        notification_id=n.id,
        source_id=n.source_id,
        recipient_id=n.recipient_id,
        channel=n.channel,
        reason=reason.value,
        error=_detail(outcome),
    )
    if isinstance(outcome, DeliveryRefused):
        n.refused()
        await _failed(uow, n, reason)
        bound.warning("refused for good")
        return
    retry_at = n.failed_attempt(datetime.now(UTC))
    if retry_at is None:
        await _failed(uow, n, reason)
        bound.warning("failed for good", attempts=n.attempts)
    else:
        await uow.notifications.record_attempt(n, error=reason.value, retry_at=retry_at)
        bound.info("will be retried", attempt=n.attempts, retry_at=retry_at.isoformat())


def reason_of(outcome: BaseException) -> FailureReason:
    """The code told outward for a failed attempt: the one its channel gave it, else `delivery-error`."""
    return outcome.reason if isinstance(outcome, DeliveryFailed) else FailureReason.DELIVERY_ERROR


def _detail(outcome: BaseException) -> str:
    cause = outcome.__cause__
    return repr(outcome) + (f" from {cause!r}" if cause is not None else "")


def delivered(n: Notification) -> NotificationDelivered:
    return NotificationDelivered(
        notification_id=n.id,
        source_id=n.source_id,
        source_type=n.source_type,
        recipient_id=n.recipient_id,
        channel=n.channel,
        attempts=max(n.attempts, 1),
    )


async def _failed(uow: UnitOfWork, n: Notification, reason: FailureReason) -> None:
    if not await uow.notifications.record_attempt(n, error=reason.value):
        return
    uow.emit(
        NotificationFailed(
            notification_id=n.id,
            source_id=n.source_id,
            source_type=n.source_type,
            recipient_id=n.recipient_id,
            channel=n.channel,
            attempts=n.attempts,
            reason=reason,
        ),
        caused_by=_cause(n),
    )


def _cause(n: Notification) -> Envelope | None:
    """The fact that caused the notification, as far as the trace is concerned."""
    if not n.traceparent:
        return None
    return Envelope(
        id=n.source_id, source="", type=n.source_type, subject="", time=datetime.now(UTC), traceparent=n.traceparent
    )
