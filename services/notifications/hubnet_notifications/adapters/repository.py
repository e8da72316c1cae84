"""Staff and notifications in PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from hubnet_notifications.domain.notification import Notification
from hubnet_notifications.domain.staff import StaffMember


class PgStaff:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def all(self) -> list[StaffMember]:
        rows = await self.conn.fetch("SELECT id, name, email, partner_id, hubs, roles, language FROM staff")
        return [StaffMember(**{**dict(r), "hubs": tuple(r["hubs"]), "roles": tuple(r["roles"])}) for r in rows]

    async def upsert(self, member: StaffMember) -> None:
        await self.conn.execute(
            "INSERT INTO staff (id, name, email, partner_id, hubs, roles, language)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE"
            " SET name = $2, email = $3, partner_id = $4, hubs = $5, roles = $6, language = $7",
            member.id, member.name, member.email, member.partner_id, list(member.hubs), list(member.roles),
            member.language,
        )


class PgNotifications:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def add(self, n: Notification) -> bool:
        """Store it unless this source already notified this staff member on this channel."""
        return bool(
            await self.conn.fetchval(
                "INSERT INTO notifications (id, source_id, source_type, staff_id, channel, subject, body, link,"
                " status, attempts, delivered_at)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, CASE WHEN $9 = 'delivered' THEN now() END)"
                " ON CONFLICT (source_id, staff_id, channel) DO NOTHING RETURNING true",
                n.id, n.source_id, n.source_type, n.staff_id, n.channel, n.subject, n.body, n.link, n.status,
                n.attempts,
            )
        )

    async def claim_due_emails(self, limit: int) -> list[tuple[Notification, str]]:
        """Due e-mails with their addresses, locked until this transaction ends."""
        rows = await self.conn.fetch(
            "SELECT n.id::text AS id, n.source_id, n.source_type, n.staff_id, n.channel, n.subject, n.body,"
            " n.link, n.status, n.attempts, s.email"
            " FROM notifications n JOIN staff s ON s.id = n.staff_id"
            " WHERE n.status = 'pending' AND n.channel = 'email' AND n.next_attempt_at <= now()"
            " ORDER BY n.next_attempt_at LIMIT $1 FOR UPDATE OF n SKIP LOCKED",
            limit,
        )
        return [(Notification(**{k: v for k, v in dict(r).items() if k != "email"}), r["email"]) for r in rows]

    async def record_attempt(self, n: Notification, *, error: str | None = None, retry_at: datetime | None = None) -> None:
        await self.conn.execute(
            "UPDATE notifications SET status = $2, attempts = $3, last_error = $4,"
            " next_attempt_at = coalesce($5, next_attempt_at),"
            " delivered_at = CASE WHEN $2 = 'delivered' THEN now() END WHERE id = $1::uuid",
            n.id, n.status, n.attempts, error, retry_at,
        )

    async def for_staff(self, staff_id: str, limit: int = 50) -> list[dict]:
        rows = await self.conn.fetch(
            "SELECT id::text, source_type, subject, link, created_at, read_at FROM notifications"
            " WHERE staff_id = $1 AND channel = 'inbox' ORDER BY read_at IS NOT NULL, created_at DESC LIMIT $2",
            staff_id, limit,
        )
        return [dict(r) for r in rows]
