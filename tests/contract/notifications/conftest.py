"""The notifications repositories, on the fake of tests/unit/common/fakes/notifications.py and on
PostgreSQL, for the same tests (tests/contract/notifications/test_repositories.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import pytest

from hubnet_common.service.db import create_pool
from hubnet_notifications.adapters.accepted import RECORDER_SETTINGS, PgHandovers
from hubnet_notifications.adapters.uow import NotificationsUnitOfWork
from hubnet_notifications.handlers.ports import Handovers, UnitOfWorkFactory
from tests.unit.common.fakes.notifications import FakeHandovers, FakeNotificationsUnitOfWork


@dataclass
class Store:
    """What a test gets: units of work on one store, and its handovers (adapters/accepted.py)."""

    uow: UnitOfWorkFactory
    handovers: Handovers


async def _postgres(dsn: str) -> AsyncIterator[Store]:
    pool = await create_pool(dsn, max_size=3)
    handovers = PgHandovers(lambda: asyncpg.connect(dsn, server_settings=RECORDER_SETTINGS))
    try:
        yield Store(lambda: NotificationsUnitOfWork(pool), handovers)
    finally:
        await handovers.close()
        await pool.close()


async def _fake() -> AsyncIterator[Store]:
    uow = FakeNotificationsUnitOfWork()
    yield Store(lambda: uow, FakeHandovers(lambda: uow.notifications))


@pytest.fixture(params=["fake", pytest.param("postgres", marks=pytest.mark.integration)])
def migrated(request):
    """None for the fake; for PostgreSQL, a maker of migrated databases (tests/conftest.py)."""
    return request.getfixturevalue("migrated_database") if request.param == "postgres" else None


@pytest.fixture
async def store(migrated) -> AsyncIterator[Store]:
    backend = _fake() if migrated is None else _postgres(await migrated("notifications"))
    async for made in backend:
        yield made
