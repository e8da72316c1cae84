"""The notifications repositories, on the fake of tests/unit/common/fakes/notifications.py and on
PostgreSQL, for the same tests (tests/contract/notifications/test_repositories.py)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import pytest

from hubnet_common.ops.local.services import database_dsn
from hubnet_common.service.db import create_pool, migrate
from hubnet_notifications import bootstrap
from hubnet_notifications.adapters.accepted import RECORDER_SETTINGS, PgHandovers
from hubnet_notifications.adapters.uow import NotificationsUnitOfWork
from hubnet_notifications.handlers.ports import Handovers, UnitOfWorkFactory
from tests.unit.common.fakes.notifications import FakeHandovers, FakeNotificationsUnitOfWork


@dataclass
class Store:
    """What a test gets: units of work on one store, and its handovers (adapters/accepted.py)."""

    uow: UnitOfWorkFactory
    handovers: Handovers


@pytest.fixture(scope="session")
async def templates() -> AsyncIterator[dict[str, str]]:
    """Per server, a database with the service's migrations, made when first needed and copied
    for each test (CREATE DATABASE … TEMPLATE is much faster than migrating each time)."""
    made: dict[str, str] = {}
    yield made
    for server_dsn, name in made.items():
        server = await asyncpg.connect(server_dsn)
        try:
            await server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await server.close()


async def _template(server: asyncpg.Connection, server_dsn: str, made: dict[str, str]) -> str:
    if server_dsn not in made:
        name = f"test_contract_notifications_{uuid.uuid4().hex[:8]}"
        await server.execute(f'CREATE DATABASE "{name}"')
        made[server_dsn] = name
        conn = await asyncpg.connect(database_dsn(server_dsn, name))
        try:
            await migrate(conn, *bootstrap.spec().migrations)
        finally:
            await conn.close()  # a template must have no connections when it is copied
    return made[server_dsn]


async def _postgres(server_dsn: str, templates: dict[str, str]) -> AsyncIterator[Store]:
    server = await asyncpg.connect(server_dsn)
    name = f"{await _template(server, server_dsn, templates)}_{uuid.uuid4().hex[:6]}"
    await server.execute(f'CREATE DATABASE "{name}" TEMPLATE "{templates[server_dsn]}"')
    dsn = database_dsn(server_dsn, name)
    pool = await create_pool(dsn, max_size=3)
    handovers = PgHandovers(lambda: asyncpg.connect(dsn, server_settings=RECORDER_SETTINGS))
    try:
        yield Store(lambda: NotificationsUnitOfWork(pool), handovers)
    finally:
        await handovers.close()
        await pool.close()
        await server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await server.close()


async def _fake() -> AsyncIterator[Store]:
    uow = FakeNotificationsUnitOfWork()
    yield Store(lambda: uow, FakeHandovers(lambda: uow.notifications))


@pytest.fixture(params=["fake", pytest.param("postgres", marks=pytest.mark.integration)])
def server_dsn(request) -> str | None:
    """None for the fake; the PostgreSQL server's DSN (tests/conftest.py) for the real one."""
    return request.getfixturevalue("pg_server_dsn") if request.param == "postgres" else None


@pytest.fixture
async def store(server_dsn, templates) -> AsyncIterator[Store]:
    backend = _fake() if server_dsn is None else _postgres(server_dsn, templates)
    async for made in backend:
        yield made
