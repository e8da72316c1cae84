"""PostgreSQL: the connection pool and a migrator that applies ordered `.sql` files once."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from hubnet_common.service.logging import get_logger

log = get_logger(__name__)
COMMON_MIGRATIONS = Path(__file__).parent / "migrations"
# A connection of its own or one lent by a pool: the same calls work on both.
Connection = asyncpg.Connection | PoolConnectionProxy
MIGRATION_LOCK = 7_311_001  # pg advisory lock id: one migrator at a time per database


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, command_timeout=30, reset=_no_session_state
    )


async def _no_session_state(_conn: asyncpg.Connection) -> None:
    """What the pool does on release besides rolling back an open transaction: nothing.

    asyncpg's default sends `pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL` on every
    release, about seven round trips a referral. Only connections lent by `holding_session` keep
    session state (advisory locks, LISTEN); nothing else here sets any (no SET, no cursor outside
    a transaction)."""


@asynccontextmanager
async def holding_session(pool: asyncpg.Pool, *, timeout: float | None = None) -> AsyncIterator[Connection]:
    """A pooled connection for session state (an advisory lock, LISTEN), fully reset before the pool
    has it back. One that cannot be reset (the database went away) is closed instead, which ends
    its session and so its locks."""
    conn = await pool.acquire(timeout=timeout)
    try:
        yield conn
    finally:
        try:
            await conn.reset()
        except Exception as exc:  # noqa: BLE001 - closing it undoes the session as surely
            log.info("session connection closed, not reset", error=repr(exc))
            with contextlib.suppress(asyncpg.InterfaceError):  # one that died is given back already
                conn.terminate()
        except BaseException:
            conn.terminate()
            raise
        finally:
            await pool.release(conn)


class ReadMemo:
    """What a repository read in its transaction (the messages of a batch ask for the same few
    rows), kept until it writes; a savepoint rolled back makes the repository, and so this, anew."""

    def __init__(self) -> None:
        self._read: dict[Hashable, Any] = {}

    async def get(self, key: Hashable, read: Callable[[], Awaitable[Any]]) -> Any:
        if key not in self._read:
            self._read[key] = await read()
        return self._read[key]

    def forget(self) -> None:
        self._read.clear()


def migration_files(*directories: Path) -> list[tuple[str, Path]]:
    """(name, path) of every migration: common ones first, then each directory's in file order.

    A name is `<package>.<folder>/<file>`, so two folders may both have a `0001_….sql`.
    """
    found = []
    for directory in (COMMON_MIGRATIONS, *directories):
        found += [(f"{directory.parent.name}.{directory.name}/{p.name}", p) for p in sorted(directory.glob("*.sql"))]
    return found


async def migrate(conn: Connection, *directories: Path) -> list[str]:
    """Apply what has not been applied yet, each file in its own transaction; return their names.

    The lock comes first: two `CREATE TABLE IF NOT EXISTS` at once on a fresh database can both
    find no table, and the second then fails on the catalog's unique index."""
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
        applied = []
        for name, path in migration_files(*directories):
            if name in done:
                continue
            async with conn.transaction():
                await conn.execute(path.read_text())
                await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", name)
            log.info("migration applied", migration=name)
            applied.append(name)
        return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)


async def pending_migrations(conn: Connection, *directories: Path) -> list[str]:
    exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")} if exists else set()
    return [name for name, _ in migration_files(*directories) if name not in done]
