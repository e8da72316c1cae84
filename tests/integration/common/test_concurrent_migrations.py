"""Pods starting together each migrate their database before serving (libs/common/hubnet_common/
cli/migrate.py; docs/operations.md: "migrations are applied once, in order, under an advisory
lock"). Several migrators at once on one real database, fresh or left by an earlier version with
fewer migrations: none of them fails, and every migration is applied exactly once."""

import asyncio

import asyncpg
import pytest

from hubnet_common.ops.cli.migrate import migration_dirs
from hubnet_common.service.db import migrate, migration_files, pending_migrations

pytestmark = pytest.mark.integration
MIGRATORS = 4


@pytest.mark.parametrize("earlier_version", [False, True], ids=["fresh", "after-an-earlier-version"])
@pytest.mark.parametrize("service", ["referrals", "notifications"])
async def test_migrators_starting_together_apply_each_migration_once(new_database, service, earlier_version):
    dsn, dirs = await new_database(f"migrate_{service}"), migration_dirs(service)
    connections = [await asyncpg.connect(dsn) for _ in range(MIGRATORS)]
    try:
        if earlier_version:  # it had only the common migrations; the new version brings the service's
            await migrate(connections[0])
        outcomes = await asyncio.gather(*(migrate(conn, *dirs) for conn in connections), return_exceptions=True)
        failures = [o for o in outcomes if isinstance(o, BaseException)]
        assert failures == []
        applied = [name for names in outcomes for name in names]
        every = [name for name, _ in migration_files(*dirs)]
        done_before = {name for name, _ in migration_files()} if earlier_version else set()
        new = [name for name in every if name not in done_before]
        assert sorted(applied) == sorted(new)  # each by exactly one of them
        assert await pending_migrations(connections[0], *dirs) == []
        recorded = await connections[0].fetch("SELECT name FROM schema_migrations ORDER BY applied_at, name")
        assert sorted(r["name"] for r in recorded) == sorted(every)
    finally:
        for conn in connections:
            await conn.close()
