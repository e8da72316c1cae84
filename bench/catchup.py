"""Catch-up: a fresh notifications instance (a new database, new consumer groups) reading the
referral facts from the beginning of the topic, as after a rebuild of its projection.

The facts are written by a plain producer while the instance starts and reads, so that reading
never waits for writing; the run stops when every fact is processed or after `seconds`.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaProducer
from aiosmtpd.controller import Controller
from hubnet_common.local.credentials import login
from hubnet_common.local.services import LocalServices, database_dsn
from hubnet_common.topics import REFERRAL_EVENTS, on_broker

from bench.pipeline import AcceptTimes
from tests.conftest import free_port

Fact = tuple[bytes, list]


async def replay(bootstrap: str, prefix: str, databases: dict[str, str], facts: Iterator[Fact], seconds: float) -> dict:
    mail = AcceptTimes()
    smtp = Controller(mail, hostname="127.0.0.1", port=free_port())
    smtp.start()
    written = [0]
    writing = asyncio.create_task(_write(bootstrap, on_broker(REFERRAL_EVENTS.name, prefix), facts, written))
    local = LocalServices(log_dir=Path(".local/bench/logs/catchup"), databases=databases,
                          ports={"notifications": free_port()},
                          extra_env={"HUBNET_GROUP_PREFIX": f"{prefix}hubnet", "HUBNET_SMTP_PORT": str(smtp.port),
                                     "HUBNET_LOG_LEVEL": "WARNING"})
    conn = await asyncpg.connect(database_dsn(os.environ["HUBNET_PG_DSN"], databases["notifications"]))
    try:
        await asyncio.to_thread(local.start_all)
        began = time.monotonic()
        processed = 0
        while time.monotonic() - began < seconds and not (writing.done() and processed >= written[0]):
            await asyncio.sleep(0.5)
            processed = await conn.fetchval("SELECT count(*) FROM inbox WHERE ce_type = 'se.hubnet.referral.requested.v1'")
        took = time.monotonic() - began
        if writing.done() and writing.exception():
            raise writing.exception()
    finally:
        writing.cancel()
        await asyncio.gather(writing, return_exceptions=True)
        await asyncio.to_thread(local.stop_all)
        await conn.close()
        smtp.stop()
    return {"facts": written[0], "processed": processed, "seconds": round(took, 1),
            "per_second": round(processed / took, 1), "mails": mail.mails}


async def _write(bootstrap: str, topic: str, facts: Iterator[Fact], written: list[int]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, acks=1, **login("hubnet-referrals"))
    await producer.start()
    try:
        pending = []
        for value, headers in facts:
            pending.append(await producer.send(topic, value, key=dict(headers)["ce_subject"], headers=headers))
            if len(pending) >= 2000:  # and let the run's clock and the reader in between
                await asyncio.gather(*pending)
                written[0] += len(pending)
                pending = []
        await asyncio.gather(*pending)
        written[0] += len(pending)
    finally:
        await producer.stop()
