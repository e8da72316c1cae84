"""Contract tests of the referrals repositories: one suite run against the fakes of
tests/unit/common/fakes/referrals.py and against ReferralsUnitOfWork on a fresh PostgreSQL
database with the service's migrations applied, so the fakes the unit tests stand on behave like
PostgreSQL where a user of the ports (handlers/ports.py) can tell."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import pytest
import pytest_asyncio

from hubnet_common.ops.cli.migrate import migration_dirs
from hubnet_common.ops.local.services import database_dsn
from hubnet_common.service.db import create_pool, migrate
from hubnet_referrals.adapters.uow import ReferralsUnitOfWork
from hubnet_referrals.handlers.ports import UnitOfWork
from tests.unit.common.fakes.referrals import FakeReferralsUnitOfWork


@pytest_asyncio.fixture(scope="session")
async def migrated_databases(new_database, pg_server_dsn) -> AsyncIterator[Callable[[], Awaitable[str]]]:
    """Makes databases with the service's migrations applied: copies of one migrated once (a copy
    takes a fifth of the time the migrations take). Dropped after the session."""
    template = await new_database("contract_referrals")
    conn = await asyncpg.connect(template)
    try:
        await migrate(conn, *migration_dirs("referrals"))
    finally:
        await conn.close()
    template_name = template.rsplit("/", 1)[-1]
    made: list[str] = []

    async def make() -> str:
        name = f"{template_name}_{uuid.uuid4().hex[:8]}"
        server = await asyncpg.connect(pg_server_dsn)
        try:
            await server.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
        finally:
            await server.close()
        made.append(name)
        return database_dsn(pg_server_dsn, name)

    yield make
    server = await asyncpg.connect(pg_server_dsn)
    try:
        for name in made:
            await server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await server.close()


@pytest.fixture(params=["fake", pytest.param("postgres", marks=pytest.mark.integration)])
def database_maker(request) -> Callable[[], Awaitable[str]] | None:
    """None for the fake; for PostgreSQL, `migrated_databases` (asked for only here, so the fake
    needs no infrastructure)."""
    return None if request.param == "fake" else request.getfixturevalue("migrated_databases")


@pytest.fixture
async def new_unit_of_work(database_maker) -> AsyncIterator[Callable[[], UnitOfWork]]:
    """A factory of units of work on one empty store: what one commits, the next one sees."""
    if database_maker is None:
        fake = FakeReferralsUnitOfWork()  # each unit of work is this one object, as in the unit tests
        yield lambda: fake  # mypy checks the fake against handlers/ports.py here
        return
    pool = await create_pool(await database_maker(), min_size=1, max_size=2)
    try:
        yield lambda: ReferralsUnitOfWork(pool)
    finally:
        await pool.close()
