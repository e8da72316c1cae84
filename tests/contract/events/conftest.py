"""The events repositories as handlers see them (hubnet_events/handlers/ports.py): the in-memory fake
of tests/unit/common/fakes/events.py and the PostgreSQL adapter, behind one fixture."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hubnet_common.service.db import create_pool, migrate
from hubnet_events import bootstrap
from hubnet_events.adapters.uow import EventsUnitOfWork
from hubnet_events.handlers.ports import UnitOfWork
from tests.unit.common.fakes.events import FakeEventsUnitOfWork

UnitsOfWork = Callable[[], UnitOfWork]
TABLES = "registrations, occurrences, hub_events, forgotten_referrals, outbox"


@pytest.fixture(scope="session")
async def events_pool(new_database):
    """One database of the events service, migrated once for the session."""
    pool = await create_pool(await new_database("contract_events"), max_size=2)
    async with pool.acquire() as conn:
        await migrate(conn, *bootstrap.spec().migrations)
    yield pool
    await pool.close()


@pytest.fixture
async def empty_events_pool(events_pool):
    async with events_pool.acquire() as conn:
        await conn.execute(f"TRUNCATE {TABLES}")
    return events_pool


@pytest.fixture(params=["fake", pytest.param("postgres", marks=pytest.mark.integration)])
def units_of_work(request) -> UnitsOfWork:
    """Makes units of work on empty repositories; what one commits, the next sees. (Not async:
    pytest-asyncio cannot set up the database fixtures from inside a running fixture.)"""
    if request.param == "fake":
        fake = FakeEventsUnitOfWork()  # one store: each `async with` is a transaction on it
        return lambda: fake
    pool = request.getfixturevalue("empty_events_pool")
    return lambda: EventsUnitOfWork(pool)
