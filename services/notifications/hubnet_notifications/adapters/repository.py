"""Staff, subscriptions, webhook endpoints and notifications in PostgreSQL."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Coroutine
from datetime import date, datetime, timedelta
from typing import Any, Concatenate, ParamSpec, TypeVar

import asyncpg

from hubnet_common.sdk.webhook_signature import SEALED_PREFIX, seal_secret
from hubnet_common.service.db import ReadMemo
from hubnet_notifications.domain.notification import Notification
from hubnet_notifications.domain.staff import StaffMember
from hubnet_notifications.domain.subscription import Subscription, WebhookEndpoint

P = ParamSpec("P")
R = TypeVar("R")
STAFF = ("id", "name", "email", "partner_id", "hubs", "roles", "language", "delivery", "active")


def _staff(row: asyncpg.Record) -> StaffMember:
    return StaffMember(**{**dict(row), "hubs": tuple(row["hubs"]), "roles": tuple(row["roles"])})


class PgStaff:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self._read = ReadMemo()

    async def all(self) -> list[StaffMember]:
        async def read() -> list[StaffMember]:
            return [_staff(r) for r in await self.conn.fetch(f"SELECT {', '.join(STAFF)} FROM staff")]

        return list(await self._read.get("all", read))

    async def get(self, staff_id: str) -> StaffMember | None:
        row = await self.conn.fetchrow(f"SELECT {', '.join(STAFF)} FROM staff WHERE id = $1", staff_id)
        return _staff(row) if row else None

    async def upsert(self, m: StaffMember, *, replace: bool = True) -> None:
        """Store the member; with `replace=False` one already stored is left as it is."""
        self._read.forget()
        change = (
            (
                " DO UPDATE SET name = $2, email = $3, partner_id = $4, hubs = $5, roles = $6, language = $7,"
                " delivery = $8, active = $9"
            )
            if replace
            else " DO NOTHING"
        )
        await self.conn.execute(
            f"INSERT INTO staff ({', '.join(STAFF)}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            f" ON CONFLICT (id){change}",
            m.id,
            m.name,
            m.email,
            m.partner_id,
            list(m.hubs),
            list(m.roles),
            m.language,
            m.delivery,
            m.active,
        )

    async def digest_readers(self) -> list[StaffMember]:
        rows = await self.conn.fetch(f"SELECT {', '.join(STAFF)} FROM staff WHERE delivery = 'digest' AND active")
        return [_staff(r) for r in rows]


class PgSubscriptions:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self._read = ReadMemo()

    async def all(self) -> list[Subscription]:
        async def read() -> list[Subscription]:
            rows = await self.conn.fetch(
                "SELECT id, staff_id, kinds, partner_id, service_id, hub_id FROM subscriptions"
            )
            return [Subscription(**{**dict(r), "kinds": tuple(r["kinds"])}) for r in rows]

        return list(await self._read.get("all", read))

    async def add(self, s: Subscription) -> bool:
        self._read.forget()
        return bool(
            await self.conn.fetchval(
                "INSERT INTO subscriptions (id, staff_id, kinds, partner_id, service_id, hub_id)"
                " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING RETURNING true",
                s.id,
                s.staff_id,
                list(s.kinds),
                s.partner_id,
                s.service_id,
                s.hub_id,
            )
        )

    async def of_staff(self, staff_id: str) -> list[dict]:
        """One member's subscriptions, oldest first (what the member's own settings show)."""
        rows = await self.conn.fetch(
            "SELECT id, kinds, partner_id, service_id, hub_id, created_at FROM subscriptions"
            " WHERE staff_id = $1 ORDER BY created_at, id",
            staff_id,
        )
        return [dict(r) for r in rows]

    async def remove(self, subscription_id: str, staff_id: str) -> bool:
        self._read.forget()
        return bool(
            await self.conn.fetchval(
                "DELETE FROM subscriptions WHERE id = $1 AND staff_id = $2 RETURNING true", subscription_id, staff_id
            )
        )


class PgWebhooks:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self._read = ReadMemo()

    async def of_partners(self, partner_ids: frozenset[str]) -> list[WebhookEndpoint]:
        """The partners' endpoints in use. Every endpoint in use is read once per transaction (a
        batch's facts concern a few partners, and there are a few endpoints each)."""

        async def read() -> list[WebhookEndpoint]:
            rows = await self.conn.fetch(
                "SELECT id, partner_id, url, sealed_secret AS secret, kinds, active FROM webhook_endpoints WHERE active"
            )
            return [WebhookEndpoint(**{**dict(r), "kinds": tuple(r["kinds"])}) for r in rows]

        return [e for e in await self._read.get("active", read) if e.partner_id in partner_ids]

    async def listed(self, partner_id: str) -> list[dict]:
        """A partner's endpoints in use, without their secrets."""
        rows = await self.conn.fetch(
            "SELECT id, url, kinds FROM webhook_endpoints WHERE active AND partner_id = $1 ORDER BY id", partner_id
        )
        return [dict(r) for r in rows]

    async def owner(self, webhook_id: str) -> str | None:
        return await self.conn.fetchval("SELECT partner_id FROM webhook_endpoints WHERE id = $1", webhook_id)

    async def deactivate(self, webhook_id: str) -> None:
        self._read.forget()
        await self.conn.execute("UPDATE webhook_endpoints SET active = false WHERE id = $1", webhook_id)

    async def upsert(self, w: WebhookEndpoint) -> None:
        self._read.forget()
        await self.conn.execute(
            "INSERT INTO webhook_endpoints (id, partner_id, url, sealed_secret, kinds, active)"
            " VALUES ($1, $2, $3, $4, $5, $6)"
            " ON CONFLICT (id) DO UPDATE SET url = $3, sealed_secret = $4, kinds = $5, active = $6",
            w.id,
            w.partner_id,
            w.url,
            w.secret,
            list(w.kinds),
            w.active,
        )


DELIVERIES_DUE = "hubnet_deliveries"  # the NOTIFY channel of newly stored e-mails and webhooks
NOTIFICATION = (
    "id",
    "source_id",
    "source_type",
    "recipient_id",
    "channel",
    "subject",
    "body",
    "link",
    "status",
    "attempts",
    "mode",
    "document",
    "traceparent",
    "about_id",
)


def _notification(row: asyncpg.Record) -> Notification:
    values = {k: row[k] for k in NOTIFICATION}
    values["id"] = str(values["id"])
    values["document"] = json.loads(values["document"]) if values["document"] else None
    return Notification(**values)


def _queued_first(
    method: Callable[Concatenate[PgNotifications, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[PgNotifications, P], Coroutine[Any, Any, R]]:
    """Write what `add_at_commit` queued before anything else reads or changes notifications, so
    that the transaction sees its own rows (an erasure after the facts that told of it, say)."""

    @functools.wraps(method)
    async def after_queued(self: PgNotifications, *args: P.args, **kwargs: P.kwargs) -> R:
        await self.write_queued()
        return await method(self, *args, **kwargs)

    return after_queued


class PgNotifications:
    def __init__(self, conn: asyncpg.Connection, wake_on_commit: Callable[[str], None]) -> None:
        self.conn = conn
        self._wake_on_commit = wake_on_commit
        self._queued: list[Notification] = []

    async def add_at_commit(self, notifications: list[Notification]) -> None:
        """As `add_all`, written with the transaction's others in one statement: before a
        savepoint, before any other use of this repository, or at commit (`write_queued`)."""
        self._queued += notifications

    async def write_queued(self) -> None:
        queued, self._queued = self._queued, []
        await self._insert(queued)

    @_queued_first
    async def add_all(self, notifications: list[Notification]) -> set[str]:
        """Store them in one statement, except where the source already notified the recipient on
        the channel or the referral is of an erased resident; returns the ids stored."""
        return await self._insert(notifications)

    async def _insert(self, notifications: list[Notification]) -> set[str]:
        if not notifications:
            return set()
        columns = [[getattr(n, c) for n in notifications] for c in NOTIFICATION if c != "document"]
        documents = [json.dumps(n.document) if n.document else None for n in notifications]
        rows = await self.conn.fetch(
            f"INSERT INTO notifications ({', '.join(NOTIFICATION)}, delivered_at)"
            " SELECT id, source_id, source_type, recipient_id, channel, subject, body, link, status, attempts, mode,"
            " document::jsonb, traceparent, about_id, CASE WHEN status = 'delivered' THEN now() END"
            " FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],"
            " $8::text[], $9::text[], $10::int[], $11::text[], $12::text[], $13::text[], $14::text[])"
            f" AS n({', '.join(NOTIFICATION)})"
            " WHERE NOT EXISTS (SELECT 1 FROM forgotten f WHERE f.about_id = n.about_id)"
            " ON CONFLICT (source_id, recipient_id, channel) DO NOTHING RETURNING id, status",
            *columns[:11],
            documents,
            *columns[11:],
        )
        if any(row["status"] == "pending" for row in rows):
            self._wake_on_commit(DELIVERIES_DUE)  # the delivery worker
        return {str(row["id"]) for row in rows}

    @_queued_first
    async def erase(self, about_ids: list[str]) -> int:
        """Delete every notification about these referrals (inbox entries, mails and webhook
        documents, sent or waiting) and make none about them again. Returns how many there were."""
        # The table keeps its first name (`forgotten`): renaming it needs a migration of its own.
        await self.conn.execute(
            "INSERT INTO forgotten (about_id) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING", about_ids
        )
        deleted = await self.conn.execute("DELETE FROM notifications WHERE about_id = ANY($1::text[])", about_ids)
        return int(deleted.split()[-1])

    @_queued_first
    async def claim_due(self, limit: int, lease: timedelta) -> list[tuple[Notification, str | None, str | None]]:
        """Due e-mails and webhooks with their address (e-mail or URL) and webhook secret, leased to
        this worker: no other worker takes them before the lease ends, even after this transaction."""
        rows = await self.conn.fetch(
            f"SELECT {', '.join('n.' + c for c in NOTIFICATION)}, coalesce(s.email, w.url) AS address, w.sealed_secret"
            " FROM notifications n"
            " LEFT JOIN staff s ON n.channel = 'email' AND s.id = n.recipient_id"
            " LEFT JOIN webhook_endpoints w ON n.channel = 'webhook' AND w.id = n.recipient_id"
            " WHERE n.status = 'pending' AND n.mode = 'immediate' AND n.next_attempt_at <= now()"
            " AND n.handed_at IS NULL"
            " ORDER BY n.next_attempt_at LIMIT $1 FOR UPDATE OF n SKIP LOCKED",
            limit,
        )
        await self.conn.execute(
            "UPDATE notifications SET next_attempt_at = now() + $2 WHERE id = ANY($1::uuid[])",
            [r["id"] for r in rows],
            lease,
        )
        return [(_notification(r), r["address"], r["sealed_secret"]) for r in rows]

    @_queued_first
    async def handed_over_unanswered(self, limit: int) -> list[Notification]:
        """Mails whose last byte went to their server from a worker that died before the answer
        (their lease is over): the server has them, so they count as delivered."""
        rows = await self.conn.fetch(
            # On the partial index notifications_handed (migration 0006): only the mails in flight.
            f"SELECT {', '.join(NOTIFICATION)} FROM notifications WHERE status = 'pending' AND handed_at IS NOT NULL"
            " AND next_attempt_at <= now() LIMIT $1 FOR UPDATE SKIP LOCKED",
            limit,
        )
        return [_notification(r) for r in rows]

    @_queued_first
    async def record_attempt(
        self,
        n: Notification,
        *,
        error: str | None = None,
        retry_at: datetime | None = None,
        digest_day: date | None = None,
    ) -> bool:
        """Store what became of an attempt; False when the notification was no longer pending
        (its outcome was recorded already), so nothing is recorded twice."""
        return bool(
            await self.conn.fetchval(
                "UPDATE notifications SET status = $2, attempts = $3, last_error = $4, handed_at = NULL,"
                " next_attempt_at = coalesce($5, next_attempt_at), digest_day = coalesce($6, digest_day),"
                " delivered_at = CASE WHEN $2 = 'delivered' THEN now() END WHERE id = $1::uuid AND status = 'pending'"
                " RETURNING true",
                n.id,
                n.status,
                n.attempts,
                error,
                retry_at,
                digest_day,
            )
        )

    @_queued_first
    async def waiting_for_digest(self, staff_id: str) -> list[tuple[Notification, datetime]]:
        rows = await self.conn.fetch(
            f"SELECT {', '.join(NOTIFICATION)}, created_at FROM notifications WHERE recipient_id = $1"
            " AND channel = 'email' AND mode = 'digest' AND status = 'pending' ORDER BY created_at FOR UPDATE",
            staff_id,
        )
        return [(_notification(r), r["created_at"]) for r in rows]

    @_queued_first
    async def digest_sent(self, staff_id: str, day: date) -> bool:
        return bool(
            await self.conn.fetchval("SELECT true FROM digests_sent WHERE staff_id = $1 AND day = $2", staff_id, day)
        )

    @_queued_first
    async def record_digest(self, staff_id: str, day: date, items: int) -> None:
        await self.conn.execute(
            "INSERT INTO digests_sent (staff_id, day, items) VALUES ($1, $2, $3)", staff_id, day, items
        )

    @_queued_first
    async def inbox(self, staff_id: str, *, page: int, size: int) -> list[dict]:
        rows = await self.conn.fetch(
            "SELECT id::text, source_type, subject, body, link, created_at, read_at FROM notifications"
            " WHERE recipient_id = $1 AND channel = 'inbox'"
            " ORDER BY read_at IS NOT NULL, created_at DESC, id LIMIT $2 OFFSET $3",
            staff_id,
            size,
            (page - 1) * size,
        )
        return [dict(r) for r in rows]

    @_queued_first
    async def unread(self, staff_id: str) -> int:
        return await self.conn.fetchval(
            "SELECT count(*) FROM notifications WHERE recipient_id = $1 AND channel = 'inbox' AND read_at IS NULL",
            staff_id,
        )

    @_queued_first
    async def mark_read(self, staff_id: str, notification_id: str) -> bool:
        """Mark an inbox entry read (again is harmless); False when it is not this member's."""
        return bool(
            await self.conn.fetchval(
                "UPDATE notifications SET read_at = coalesce(read_at, now()) WHERE id = $1::uuid AND recipient_id = $2"
                " AND channel = 'inbox' RETURNING true",
                notification_id,
                staff_id,
            )
        )

    @_queued_first
    async def failed(self, limit: int = 100) -> list[dict]:
        rows = await self.conn.fetch(
            "SELECT id::text, source_id, source_type, recipient_id, channel, attempts, last_error, created_at"
            " FROM notifications WHERE status = 'failed' ORDER BY created_at DESC LIMIT $1",
            limit,
        )
        return [dict(r) for r in rows]


async def seal_stored_secrets(conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy, public_key: str) -> int:
    """Seal to the service's key the secrets stored in clear before migrations/0007 (at start-up)."""
    plain = await conn.fetch(
        "SELECT id, sealed_secret FROM webhook_endpoints WHERE sealed_secret NOT LIKE $1", SEALED_PREFIX + "%"
    )
    for row in plain:
        await conn.execute(
            "UPDATE webhook_endpoints SET sealed_secret = $2 WHERE id = $1",
            row["id"],
            seal_secret(row["sealed_secret"], public_key),
        )
    return len(plain)
