"""A batch of due mails waits for the mailer's sessions, not with a database connection each:
the delivery worker once opened one per mail of a batch of 100 and ran the server out of them."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from hubnet_notifications.adapters.accepted import RECORDER_SETTINGS, PgHandovers

pytestmark = pytest.mark.integration


async def test_a_batch_of_mails_holds_no_more_connections_than_the_mailer_has_sessions(migrated_database):
    dsn = await migrated_database("notifications")
    opened, in_flight, most = 0, 0, 0

    async def connect() -> asyncpg.Connection:
        nonlocal opened
        opened += 1
        return await asyncpg.connect(dsn, server_settings=RECORDER_SETTINGS)

    handovers = PgHandovers(connect, in_flight=4)

    async def send_one() -> None:
        nonlocal in_flight, most
        async with handovers.of(str(uuid.uuid4())) as handover:
            in_flight += 1
            most = max(most, in_flight)
            await asyncio.sleep(0.02)  # the mail on its way to the server
            await handover.commit()
            in_flight -= 1

    try:
        await asyncio.gather(*(send_one() for _ in range(40)))
    finally:
        await handovers.close()
    assert (most, opened) == (4, 4)
