"""Copies of residents' data keys in PostgreSQL (`data_key_copies`)."""

from __future__ import annotations

import asyncpg

from hubnet_referrals.adapters.connection import Connection
from hubnet_referrals.domain.data_key import CUSTODIAN, DataKeyCopy


class PgDataKeys:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def lock(self, participant_ref: str) -> None:
        """Serialise key work on one resident (two consents at once must not make two keys)."""
        await self.conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 7311))", participant_ref)

    async def copies(self, participant_ref: str) -> dict[str, DataKeyCopy]:
        rows = await self.conn.fetch(
            "SELECT holder, sealed_to, sealed_key FROM data_key_copies WHERE participant_ref = $1", participant_ref
        )
        return {r["holder"]: DataKeyCopy(**r) for r in rows}

    async def put(self, participant_ref: str, copy: DataKeyCopy) -> None:
        await self.conn.execute(
            "INSERT INTO data_key_copies (participant_ref, holder, sealed_to, sealed_key) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (participant_ref, holder) DO UPDATE SET sealed_to = $3, sealed_key = $4, created_at = now()",
            participant_ref,
            copy.holder,
            copy.sealed_to,
            copy.sealed_key,
        )

    async def destroy(self, participant_ref: str) -> int:
        """Delete every copy: the key is gone. Returns how many copies there were."""
        deleted = await self.conn.execute("DELETE FROM data_key_copies WHERE participant_ref = $1", participant_ref)
        return int(deleted.split()[-1])


async def partners_copy(conn: Connection, participant_ref: str, partner_id: str) -> str | None:
    """The copy sealed to a partner (never the custodian's own), for `GET /data-key`."""
    return await conn.fetchval(
        "SELECT sealed_key FROM data_key_copies WHERE participant_ref = $1 AND holder = $2 AND holder <> $3",
        participant_ref,
        partner_id,
        CUSTODIAN,
    )
