"""The services' pools give a connection back without asyncpg's reset round trip
(libs/common/hubnet_common/service/db.py); what holds session state goes through
`holding_session`, which resets it. On a real PostgreSQL: another unit of work must never find
an advisory lock, a LISTEN or an open transaction left by the one before."""

import asyncpg
import pytest

from hubnet_common.service.db import create_pool, holding_session

pytestmark = pytest.mark.integration
LOCK = 4_242


async def held_by_this_session(conn) -> dict:
    return {
        "advisory_locks": await conn.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
        ),
        "listening": await conn.fetchval("SELECT count(*) FROM pg_listening_channels()"),
    }


async def test_a_session_connection_comes_back_without_its_lock_or_listener(new_database):
    pool = await create_pool(await new_database("pool_sessions"), min_size=1, max_size=1)
    try:
        async with holding_session(pool) as conn:
            assert await conn.fetchval("SELECT pg_try_advisory_lock($1)", LOCK)
            await conn.add_listener("hubnet_outbox", lambda *_: None)
            assert await held_by_this_session(conn) == {"advisory_locks": 1, "listening": 1}
            backend = await conn.fetchval("SELECT pg_backend_pid()")
        async with pool.acquire() as again:  # the pool has one connection: the same session
            assert await again.fetchval("SELECT pg_backend_pid()") == backend
            assert await held_by_this_session(again) == {"advisory_locks": 0, "listening": 0}
    finally:
        await pool.close()


async def test_a_plain_connection_comes_back_rolled_back_and_without_a_reset(new_database):
    pool = await create_pool(await new_database("pool_plain"), min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            await conn.execute("CREATE TABLE t (n int)")
            # A transaction left open is still rolled back by asyncpg.
            await conn.execute("BEGIN")
            await conn.execute("INSERT INTO t VALUES (1)")
            # What only `holding_session` may do: left here, it outlives the release.
            await conn.execute("SELECT pg_advisory_lock($1)", LOCK)
        async with pool.acquire() as again:
            assert await again.fetchval("SELECT count(*) FROM t") == 0
            assert (await held_by_this_session(again))["advisory_locks"] == 1
    finally:
        await pool.close()


async def test_a_session_connection_whose_backend_died_is_replaced(new_database):
    dsn = await new_database("pool_gone")
    pool = await create_pool(dsn, min_size=1, max_size=1)
    other = await asyncpg.connect(dsn)
    try:
        async with holding_session(pool) as conn:
            assert await conn.fetchval("SELECT pg_try_advisory_lock($1)", LOCK)
            backend = await conn.fetchval("SELECT pg_backend_pid()")
            await other.execute("SELECT pg_terminate_backend($1)", backend)
        async with pool.acquire() as again:
            assert await again.fetchval("SELECT pg_backend_pid()") != backend
            assert await other.fetchval("SELECT pg_try_advisory_lock($1)", LOCK)
    finally:
        await other.close()
        await pool.close()
