"""Background workers (deliveries, digests, SLA checks, reminders) never die of a failure: the
deliveries worker once died of an error a database restart left behind, and no mail went out."""

import asyncio
from types import SimpleNamespace

import asyncpg

from hubnet_common.service.runtime import every


async def test_a_worker_goes_on_after_an_unexpected_failure_and_after_a_transient_one():
    stopping, calls = asyncio.Event(), []

    async def work(runtime) -> int:
        calls.append(len(calls))
        if len(calls) == 1:
            raise asyncpg.InternalClientError("cannot switch to state 11; another operation (2) is in progress")
        if len(calls) == 2:
            raise ConnectionRefusedError(111, "the database is away")
        stopping.set()
        return 0

    worker = every(0.01, work, "deliveries")
    await asyncio.wait_for(worker(SimpleNamespace(stopping=stopping)), 5)
    assert calls == [0, 1, 2]  # tried again after each failure until it could do its work
