"""Copies of residents' data keys in PostgreSQL (`data_key_copies`)."""

from __future__ import annotations

from datetime import datetime

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
        # A copy of a key the resident has already keeps that key's time; a first copy makes the key now.
        await self.conn.execute(
            "INSERT INTO data_key_copies (participant_ref, holder, sealed_to, sealed_key, key_made_at)"
            " VALUES ($1, $2, $3, $4, coalesce("
            "  (SELECT min(key_made_at) FROM data_key_copies WHERE participant_ref = $1), now()))"
            " ON CONFLICT (participant_ref, holder) DO UPDATE SET sealed_to = $3, sealed_key = $4, created_at = now()",
            participant_ref,
            copy.holder,
            copy.sealed_to,
            copy.sealed_key,
        )

    async def key_made_at(self, participant_ref: str) -> datetime | None:
        return await self.conn.fetchval(
            "SELECT max(key_made_at) FROM data_key_copies WHERE participant_ref = $1", participant_ref
        )

    async def held_despite_erasure(self, erased: dict[str, datetime]) -> list[str]:
        """Of the erased residents (ref -> their last destroyed key's time), those that still have a
        copy of a key made by then: a restored backup brought it back."""
        rows = await self.conn.fetch(
            "SELECT DISTINCT c.participant_ref FROM data_key_copies c"
            " JOIN unnest($1::text[], $2::timestamptz[]) AS e(participant_ref, key_made_at)"
            "   ON c.participant_ref = e.participant_ref AND c.key_made_at <= e.key_made_at"
            " ORDER BY 1",
            list(erased),
            list(erased.values()),
        )
        return [r["participant_ref"] for r in rows]

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
