"""Send due e-mails. Each is tried until delivered, refused for good, or out of attempts; every
outcome is recorded and published on notification.events.v1 (without personal data)."""

from collections.abc import Callable
from datetime import UTC, datetime

import structlog
from hubnet_common.messages.notification_events import NotificationDelivered, NotificationFailed

from hubnet_notifications.adapters.mailer import MailRejected
from hubnet_notifications.adapters.uow import NotificationsUnitOfWork
from hubnet_notifications.domain.notification import Notification, gives_up, next_attempt

log = structlog.get_logger(__name__)


async def deliver_due_emails(uow_factory: Callable[[], NotificationsUnitOfWork], mailer, *, batch: int = 20) -> int:
    """Try every due e-mail once; returns how many were tried."""
    async with uow_factory() as uow:
        due = await uow.notifications.claim_due_emails(batch)
        for notification, address in due:
            await _try(uow, mailer, notification, address)
        await uow.commit()
    return len(due)


async def _try(uow: NotificationsUnitOfWork, mailer, n: Notification, address: str) -> None:
    n.attempts += 1
    bound = log.bind(notification_id=n.id, source_id=n.source_id, staff_id=n.staff_id, attempt=n.attempts)
    try:
        await mailer.send(address, n.subject, n.body, message_id=n.id)
    except MailRejected as exc:
        await _fail(uow, n, f"refused: {exc}")
        bound.warning("e-mail refused", error=str(exc))
    except Exception as exc:  # connection refused, timeout, 4xx: try again later
        if gives_up(n.attempts):
            await _fail(uow, n, f"gave up after {n.attempts} attempts: {exc!r}")
            bound.warning("e-mail failed for good", error=repr(exc))
        else:
            retry_at = next_attempt(n.attempts, datetime.now(UTC))
            await uow.notifications.record_attempt(n, error=repr(exc), retry_at=retry_at)
            bound.info("e-mail will be retried", error=repr(exc), retry_at=retry_at.isoformat())
    else:
        n.status = "delivered"
        await uow.notifications.record_attempt(n)
        uow.emit(
            NotificationDelivered(
                notification_id=n.id, source_id=n.source_id, source_type=n.source_type, staff_id=n.staff_id,
                channel="email", attempts=n.attempts,
            ),
            caused_by=None,
        )
        bound.info("e-mail delivered")


async def _fail(uow: NotificationsUnitOfWork, n: Notification, reason: str) -> None:
    n.status = "failed"
    await uow.notifications.record_attempt(n, error=reason)
    uow.emit(
        NotificationFailed(
            notification_id=n.id, source_id=n.source_id, source_type=n.source_type, staff_id=n.staff_id,
            channel="email", attempts=n.attempts, reason=reason[:500],
        ),
        caused_by=None,
    )
