"""The notifications service on in-memory repositories, behaving as its PostgreSQL ones do
(services/notifications/hubnet_notifications/adapters/repository.py)."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import asyncpg

from hubnet_common.testing.directory_copy import FakeDirectoryCopy
from hubnet_common.testing.uow import FakeUnitOfWork
from hubnet_notifications.domain.notification import Notification
from hubnet_notifications.domain.staff import StaffMember
from hubnet_notifications.domain.subscription import Subscription, WebhookEndpoint

Clock = Callable[[], datetime]


def now() -> datetime:
    return datetime.now(UTC)


class FakeStaff:
    def __init__(self) -> None:
        self.by_id: dict[str, StaffMember] = {}

    async def all(self) -> list[StaffMember]:
        return list(self.by_id.values())

    async def get(self, staff_id: str) -> StaffMember | None:
        return self.by_id.get(staff_id)

    async def upsert(self, m: StaffMember, *, replace: bool = True) -> None:
        if replace or m.id not in self.by_id:
            self.by_id[m.id] = m

    async def digest_readers(self) -> list[StaffMember]:
        return [m for m in self.by_id.values() if m.delivery == "digest" and m.active]


class FakeSubscriptions:
    def __init__(self, staff: FakeStaff) -> None:
        self.by_id: dict[str, Subscription] = {}
        self.staff = staff

    async def all(self) -> list[Subscription]:
        return list(self.by_id.values())

    async def add(self, s: Subscription) -> bool:
        if s.staff_id not in self.staff.by_id:  # subscriptions.staff_id REFERENCES staff (migrations/0002)
            raise asyncpg.ForeignKeyViolationError(f"there is no staff member {s.staff_id}")
        if s.id in self.by_id:
            return False
        self.by_id[s.id] = s
        return True

    async def remove(self, subscription_id: str, staff_id: str) -> bool:
        found = self.by_id.get(subscription_id)
        if found is None or found.staff_id != staff_id:
            return False
        del self.by_id[subscription_id]
        return True


class FakeWebhooks:
    def __init__(self) -> None:
        self.by_id: dict[str, WebhookEndpoint] = {}

    async def of_partners(self, partner_ids: frozenset[str]) -> list[WebhookEndpoint]:
        return [w for w in self.by_id.values() if w.active and w.partner_id in partner_ids]

    async def owner(self, webhook_id: str) -> str | None:
        return getattr(self.by_id.get(webhook_id), "partner_id", None)

    async def deactivate(self, webhook_id: str) -> None:
        if webhook_id in self.by_id:
            self.by_id[webhook_id] = replace(self.by_id[webhook_id], active=False)

    async def upsert(self, w: WebhookEndpoint) -> None:
        stored = self.by_id.get(w.id)  # like ON CONFLICT: the owner stays who it was
        self.by_id[w.id] = replace(w, partner_id=stored.partner_id) if stored else w


@dataclass
class Row:
    """A notification as stored, with the columns the domain object does not carry."""

    notification: Notification
    created_at: datetime
    next_attempt_at: datetime
    delivered_at: datetime | None = None
    read_at: datetime | None = None
    last_error: str | None = None
    digest_day: date | None = None
    handed_at: datetime | None = None  # the mail's last byte went to its server (adapters/accepted.py)


class FakeNotifications:
    def __init__(self, staff: FakeStaff, webhooks: FakeWebhooks, clock: Clock = now) -> None:
        self.rows: dict[str, Row] = {}
        self.erased: set[str] = set()  # the `forgotten` table
        self.digests: dict[tuple[str, date], int] = {}
        self.wakes = 0  # pg_notify of DELIVERIES_DUE
        self.staff, self.webhooks, self.clock = staff, webhooks, clock

    @property
    def all(self) -> list[Notification]:
        return [row.notification for row in self.rows.values()]

    async def add_at_commit(self, notifications: list[Notification]) -> None:
        """The fake has no statements to save: stored at once, as `add_all` stores them."""
        await self.add_all(notifications)

    async def add_all(self, notifications: list[Notification]) -> set[str]:
        at, stored = self.clock(), set()
        taken = {
            (r.notification.source_id, r.notification.recipient_id, r.notification.channel) for r in self.rows.values()
        }
        for n in notifications:
            key = (n.source_id, n.recipient_id, n.channel)
            if key in taken or (n.about_id is not None and n.about_id in self.erased):
                continue
            taken.add(key)
            self.rows[n.id] = Row(
                copy.deepcopy(n),
                created_at=at,
                next_attempt_at=at,
                delivered_at=at if n.status == "delivered" else None,
            )
            stored.add(n.id)
        if any(self.rows[i].notification.status == "pending" for i in stored):
            self.wakes += 1
        return stored

    async def erase(self, about_ids: list[str]) -> int:
        self.erased.update(about_ids)
        gone = [i for i, r in self.rows.items() if r.notification.about_id in about_ids]
        for i in gone:
            del self.rows[i]
        return len(gone)

    async def claim_due(self, limit: int, lease: timedelta) -> list[tuple[Notification, str | None, str | None]]:
        at = self.clock()
        due = sorted(
            (
                r
                for r in self.rows.values()
                if r.notification.status == "pending"
                and r.notification.mode == "immediate"
                and r.next_attempt_at <= at
                and r.handed_at is None
            ),
            key=lambda r: r.next_attempt_at,
        )[:limit]
        claimed = []
        for row in due:
            row.next_attempt_at = at + lease
            claimed.append((copy.deepcopy(row.notification), *self._address(row.notification)))
        return claimed

    async def handed_over_unanswered(self, limit: int) -> list[Notification]:
        at = self.clock()
        return [
            copy.deepcopy(r.notification)
            for r in self.rows.values()
            if r.notification.status == "pending" and r.handed_at is not None and r.next_attempt_at <= at
        ][:limit]

    def _address(self, n: Notification) -> tuple[str | None, str | None]:
        if n.channel == "email":
            return getattr(self.staff.by_id.get(n.recipient_id), "email", None), None
        endpoint = self.webhooks.by_id.get(n.recipient_id) if n.channel == "webhook" else None
        return (endpoint.url, endpoint.secret) if endpoint else (None, None)

    async def record_attempt(
        self,
        n: Notification,
        *,
        error: str | None = None,
        retry_at: datetime | None = None,
        digest_day: date | None = None,
    ) -> bool:
        row = self.rows.get(n.id)
        if row is None or row.notification.status != "pending":
            return False
        row.notification = copy.deepcopy(n)
        row.last_error = error
        row.handed_at = None
        row.next_attempt_at = retry_at or row.next_attempt_at
        row.digest_day = digest_day or row.digest_day
        row.delivered_at = self.clock() if n.status == "delivered" else None
        return True

    async def waiting_for_digest(self, staff_id: str) -> list[tuple[Notification, datetime]]:
        return [
            (copy.deepcopy(r.notification), r.created_at)
            for r in sorted(self.rows.values(), key=lambda r: r.created_at)
            if r.notification.recipient_id == staff_id
            and r.notification.channel == "email"
            and r.notification.mode == "digest"
            and r.notification.status == "pending"
        ]

    async def digest_sent(self, staff_id: str, day: date) -> bool:
        return (staff_id, day) in self.digests

    async def record_digest(self, staff_id: str, day: date, items: int) -> None:
        if (staff_id, day) in self.digests:
            raise asyncpg.UniqueViolationError(f"a digest for {staff_id} on {day} is recorded already")
        self.digests[(staff_id, day)] = items

    def _inbox_of(self, staff_id: str) -> list[Row]:
        return [
            r
            for r in self.rows.values()
            if r.notification.recipient_id == staff_id and r.notification.channel == "inbox"
        ]

    async def inbox(self, staff_id: str, *, page: int, size: int) -> list[dict]:
        rows = sorted(
            sorted(self._inbox_of(staff_id), key=lambda r: r.notification.id),
            key=lambda r: (r.read_at is not None, -r.created_at.timestamp()),
        )
        return [
            {
                "id": r.notification.id,
                "source_type": r.notification.source_type,
                "subject": r.notification.subject,
                "body": r.notification.body,
                "link": r.notification.link,
                "created_at": r.created_at,
                "read_at": r.read_at,
            }
            for r in rows[(page - 1) * size :][:size]
        ]

    async def unread(self, staff_id: str) -> int:
        return sum(r.read_at is None for r in self._inbox_of(staff_id))

    async def mark_read(self, staff_id: str, notification_id: str) -> bool:
        row = next((r for r in self._inbox_of(staff_id) if r.notification.id == notification_id), None)
        if row is None:
            return False
        row.read_at = row.read_at or self.clock()
        return True

    async def failed(self, limit: int = 100) -> list[dict]:
        rows = sorted(
            (r for r in self.rows.values() if r.notification.status == "failed"),
            key=lambda r: r.created_at,
            reverse=True,
        )[:limit]
        return [
            {
                "id": r.notification.id,
                "source_id": r.notification.source_id,
                "source_type": r.notification.source_type,
                "recipient_id": r.notification.recipient_id,
                "channel": r.notification.channel,
                "attempts": r.notification.attempts,
                "last_error": r.last_error,
                "created_at": r.created_at,
            }
            for r in rows
        ]


class FakeHandovers:
    """adapters/accepted.py PgHandovers on the fake table: `commit` marks a pending mail handed
    over, a failure inside takes it back."""

    def __init__(self, notifications: Callable[[], FakeNotifications], clock: Clock = now) -> None:
        self.notifications, self.clock = notifications, clock

    @asynccontextmanager
    async def of(self, notification_id: str) -> AsyncIterator[FakeHandover]:
        handover = FakeHandover(self, notification_id)
        try:
            yield handover
        except BaseException:
            row = self.notifications().rows.get(notification_id)
            if handover.committed and row is not None and row.notification.status == "pending":
                row.handed_at = None
            raise


class FakeHandover:
    def __init__(self, handovers: FakeHandovers, notification_id: str) -> None:
        self.handovers, self.notification_id, self.committed = handovers, notification_id, False

    async def commit(self) -> None:
        row = self.handovers.notifications().rows.get(self.notification_id)
        if row is not None and row.notification.status == "pending":
            row.handed_at = self.handovers.clock()
        self.committed = True


class FakeNotificationsUnitOfWork(FakeUnitOfWork):
    def __init__(self, clock: Clock = now) -> None:
        super().__init__("notifications")
        self.staff = FakeStaff()
        self.subscriptions = FakeSubscriptions(self.staff)
        self.webhooks = FakeWebhooks()
        self.notifications = FakeNotifications(self.staff, self.webhooks, clock)
        self.directory = FakeDirectoryCopy()

    async def __aenter__(self) -> FakeNotificationsUnitOfWork:
        await super().__aenter__()
        return self

    def _restore(self, state: dict) -> None:
        super()._restore(state)
        # Restored in place from copies: the repositories read the live tables again.
        self.notifications.staff, self.notifications.webhooks = self.staff, self.webhooks
        self.subscriptions.staff = self.staff
