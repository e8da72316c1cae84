"""The services' key ring: the trusted service keys and the partners' keys from the
directory, kept in each service's `signing_keys` table."""

from __future__ import annotations

import time
from collections.abc import Iterable

import asyncpg

from hubnet_common.sdk.errors import Refused
from hubnet_common.sdk.signing import PublicSigningKey
from hubnet_common.sdk.trust import StaticKeyRing


class DirectoryKeyRing:
    """The trusted keys, and the partners' keys from the service's `signing_keys` table (kept a few
    seconds in memory: a rotation takes effect within `cache_seconds`)."""

    def __init__(self, trusted: Iterable[PublicSigningKey], pool: asyncpg.Pool, *, cache_seconds: float = 10.0) -> None:
        self.trusted = StaticKeyRing(trusted)
        self.pool = pool
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, PublicSigningKey]] = {}

    async def find(self, key_id: str) -> PublicSigningKey | None:
        cached = self._cache.get(key_id)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        found = await find_signing_key(self.pool, key_id) or await self.trusted.find(key_id)
        if found is not None:
            self._cache[key_id] = (time.monotonic() + self.cache_seconds, found)
        return found


async def find_signing_key(conn: asyncpg.Pool | asyncpg.Connection, key_id: str) -> PublicSigningKey | None:
    row = await conn.fetchrow(
        "SELECT owner, public_key, valid_from, valid_until FROM signing_keys WHERE key_id = $1", key_id
    )
    return PublicSigningKey(**row) if row else None


class KeyTaken(Refused):
    """A public key that another owner had first: a key belongs to one owner for ever."""

    code = "key-taken"


async def keep_signing_keys(conn: asyncpg.Connection, owner: str, keys: Iterable[PublicSigningKey]) -> None:
    """Make the table hold exactly these keys for `owner` (from a directory entry). A key is
    claimed for its first owner in `key_owners`, which never forgets; a key another owner had
    first raises KeyTaken and nothing changes."""
    keys = list(keys)
    # One statement: the keys new to key_owners are claimed for `owner`; those another owner
    # claimed before are found (the SELECT sees the table as it was, which is all it needs).
    taken = await conn.fetch(
        "WITH claimed AS (INSERT INTO key_owners (key_id, owner) SELECT unnest($1::text[]), $2"
        " ON CONFLICT (key_id) DO NOTHING)"
        " SELECT key_id, owner FROM key_owners WHERE key_id = ANY($1::text[]) AND owner <> $2",
        [key.id for key in keys],
        owner,
    )
    if taken:
        raise KeyTaken(f"signing key {taken[0]['key_id']} belongs to {taken[0]['owner']}, not to {owner}")
    await conn.execute(
        "DELETE FROM signing_keys WHERE owner = $1 AND NOT key_id = ANY($2::text[])", owner, [key.id for key in keys]
    )
    await conn.executemany(
        "INSERT INTO signing_keys (key_id, owner, public_key, valid_from, valid_until) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (key_id) DO UPDATE SET valid_from = $4, valid_until = $5 WHERE signing_keys.owner = $2",
        [(key.id, owner, key.public_key, key.valid_from, key.valid_until) for key in keys],
    )


async def keep_partner_standing(conn: asyncpg.Connection, partner_id: str, status: str) -> None:
    """Remember the partner's standing (`partner_standing`, common migration 0005): the processor
    refuses the commands of a suspended or removed partner and answers only a known one."""
    await conn.execute(
        "INSERT INTO partner_standing (partner_id, status) VALUES ($1, $2)"
        " ON CONFLICT (partner_id) DO UPDATE SET status = $2",
        partner_id,
        status,
    )


async def partner_standings(conn: asyncpg.Connection, partner_ids: Iterable[str]) -> dict[str, str]:
    """The standing of each of these partners this service knows (active, suspended, removed)."""
    rows = await conn.fetch(
        "SELECT partner_id, status FROM partner_standing WHERE partner_id = ANY($1::text[])", list(set(partner_ids))
    )
    return {row["partner_id"]: row["status"] for row in rows}
