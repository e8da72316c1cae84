"""`hubnet admin migrate SERVICE` (the init step before a new version serves) on a real database:
applies the service's migrations once; a second run finds nothing pending."""

import asyncio

import asyncpg
import pytest

from hubnet_common.ops.cli.main import main

pytestmark = pytest.mark.integration


async def test_migrate_applies_a_services_migrations_once(new_database, monkeypatch, capsys):
    dsn = await new_database("migrate")
    monkeypatch.setenv("HUBNET_PG_DSN", dsn)
    assert await _run(["admin", "migrate", "events"]) == 0
    first = capsys.readouterr().out
    assert await _run(["admin", "migrate", "events"]) == 0
    assert "none pending" in capsys.readouterr().out and "none pending" not in first
    conn = await asyncpg.connect(dsn)
    try:
        tables = {
            r["tablename"] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        }
    finally:
        await conn.close()
    assert {"outbox", "inbox"} <= tables and len(tables) > 3


async def _run(argv: list[str]) -> int:
    return await asyncio.to_thread(main, argv)  # the command runs its own event loop
