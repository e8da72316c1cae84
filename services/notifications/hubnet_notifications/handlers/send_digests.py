"""Daily digests: staff who chose them get one e-mail a day, at the configured local time, with
every e-mail notification gathered since the last one. Recorded per (staff member, day) in the
same transaction, so a restart neither repeats nor skips a day's digest."""

from __future__ import annotations

from datetime import datetime, time

import structlog

from hubnet_notifications.domain.digest import DigestItem, compose_digest, digest_day_due
from hubnet_notifications.handlers.deliver import delivered
from hubnet_notifications.handlers.ports import Mailer, UnitOfWorkFactory

log = structlog.get_logger(__name__)


async def send_due_digests(uow_factory: UnitOfWorkFactory, mailer: Mailer, *, now: datetime, send_at: time) -> int:
    """Send every digest due at `now`; returns how many mails went out."""
    day = digest_day_due(now, send_at)
    if day is None:
        return 0
    async with uow_factory() as uow:
        readers = await uow.staff.digest_readers()
    sent = 0
    for member in readers:
        async with uow_factory() as uow:  # one transaction per member: one failure does not hold up others
            if await uow.notifications.digest_sent(member.id, day):
                continue
            waiting = await uow.notifications.waiting_for_digest(member.id)
            mail = compose_digest(member.language, day, [DigestItem(n.subject, n.link, at) for n, at in waiting])
            if mail is not None:
                await mailer.send(member.email, mail, message_id=f"digest-{member.id}-{day}")
                sent += 1
            for notification, _ in waiting:
                notification.delivered()
                await uow.notifications.record_attempt(notification, digest_day=day)
                uow.emit(delivered(notification), caused_by=None)
            await uow.notifications.record_digest(member.id, day, len(waiting))
            await uow.commit()
        log.info("digest sent", staff_id=member.id, day=day.isoformat(), items=len(waiting))
    return sent
