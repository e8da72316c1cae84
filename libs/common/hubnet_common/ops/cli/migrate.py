"""`hubnet admin migrate SERVICE`: apply one service's database migrations, then exit — the init
step that runs before a new version of the service serves (on Kubernetes an init container).

It uses the migrator the service itself runs at start-up (`hubnet_common.service.db.migrate`: each file
once, in order, under an advisory lock, so pods starting together do not collide), on the
service's own database (HUBNET_PG_DSN). It waits for the database with capped backoff.
"""

import asyncio
import importlib
import sys
import time
from pathlib import Path

import asyncpg

from hubnet_common.service.db import migrate
from hubnet_common.service.settings import Settings

WAIT_SECONDS = 300


def migration_dirs(service: str) -> list[Path]:
    """The service's migration folders, as its bootstrap declares them (without building the service:
    the migration init container holds none of its keys)."""
    return list(importlib.import_module(f"hubnet_{service}.bootstrap").MIGRATION_DIRS)


async def connect(dsn: str) -> asyncpg.Connection:
    deadline, delay = time.monotonic() + WAIT_SECONDS, 0.5
    while True:
        try:
            return await asyncpg.connect(dsn, timeout=5)
        except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
            if time.monotonic() > deadline:
                raise
            print(f"waiting for the database: {exc!r}", file=sys.stderr, flush=True)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 15)


async def migrate_service(service: str) -> list[str]:
    """Apply what is pending on the service's own database (HUBNET_PG_DSN); returns the names."""
    dirs = migration_dirs(service)
    conn = await connect(Settings().pg_dsn)
    try:
        return await migrate(conn, *dirs)
    finally:
        await conn.close()
