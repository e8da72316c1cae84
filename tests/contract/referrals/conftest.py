"""Contract tests of the referrals repositories: one suite run against the fakes of
tests/unit/common/fakes/referrals.py and against ReferralsUnitOfWork on a fresh PostgreSQL
database with the service's migrations applied, so the fakes the unit tests stand on behave like
PostgreSQL where a user of the ports (handlers/ports.py) can tell."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from hubnet_common.service.db import create_pool
from hubnet_referrals.adapters.uow import ReferralsUnitOfWork
from hubnet_referrals.handlers.ports import UnitOfWork
from tests.unit.common.fakes.referrals import FakeReferralsUnitOfWork


@pytest.fixture(params=["fake", pytest.param("postgres", marks=pytest.mark.integration)])
def database_maker(request) -> Callable[[], Awaitable[str]] | None:
    """None for the fake; for PostgreSQL, a maker of migrated databases (tests/conftest.py
    `migrated_database`, asked for only here, so the fake needs no infrastructure)."""
    if request.param == "fake":
        return None
    migrated = request.getfixturevalue("migrated_database")
    return lambda: migrated("referrals")


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
