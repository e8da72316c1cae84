"""The audit log in PostgreSQL: appended in the transaction that answers a command, read by
`GET /audit` and `hubnet audit`."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from hubnet_referrals.adapters.connection import Connection

COLUMNS = ("aggregate_id", "actor", "command_type", "command_id", "sent_at", "outcome", "code")


class PgAudit:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def append(
        self,
        *,
        aggregate_id: str,
        actor: str,
        command_type: str,
        command_id: str,
        sent_at: datetime,
        outcome: str,
        code: str | None,
    ) -> None:
        await self.conn.execute(
            f"INSERT INTO audit_log ({', '.join(COLUMNS)}) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            aggregate_id,
            actor,
            command_type,
            command_id,
            sent_at,
            outcome,
            code,
        )


async def entries(conn: Connection, aggregate_id: str) -> list[dict]:
    rows = await conn.fetch(
        f"SELECT seq, {', '.join(COLUMNS)}, answered_at FROM audit_log WHERE aggregate_id = $1 ORDER BY seq",
        aggregate_id,
    )
    return [dict(r) for r in rows]
