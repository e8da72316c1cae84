"""Catch-up: a fresh notifications instance (a new database, new consumer groups) reading the
referral facts from the beginning of the topic, as after a rebuild of its projection.

The facts are written first, by a plain producer (signing them costs the writer about as much CPU
as reading costs the instance, so writing while it reads would halve what it gets of this
machine). Then the instance starts; the run stops when every fact is processed or after
`seconds`, and the total time for all of them is worked out from the rate where it stopped first.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaProducer

from bench.pipeline import MailSink, service_env
from hubnet_common.ops.local.credentials import login
from hubnet_common.ops.local.services import LocalServices, database_dsn
from hubnet_common.sdk.topics import REFERRAL_EVENTS, on_broker
from tests.conftest import free_port

Fact = tuple[bytes, list]


async def replay(bootstrap: str, prefix: str, databases: dict[str, str], facts: Iterator[Fact], seconds: float) -> dict:
    began = time.monotonic()
    written = await _write(bootstrap, on_broker(REFERRAL_EVENTS.name, prefix), facts)
    writing = time.monotonic() - began
    async with MailSink() as mail:
        result = await _replay(databases, prefix, written, seconds, mail.port)
    total = round(written / result["per_second"]) if result["per_second"] else None
    return {**result, "facts": written, "written_in_s": round(writing, 1), "all_in_s": total, "mails": mail.mails}


async def _replay(databases: dict[str, str], prefix: str, facts: int, seconds: float, smtp_port: int) -> dict:
    local = LocalServices(
        log_dir=Path(".local/bench/logs/catchup"),
        databases=databases,
        ports={"notifications": free_port()},
        extra_env={
            **service_env(prefix),
            "HUBNET_SMTP_PORT": str(smtp_port),
        },
    )
    conn = await asyncpg.connect(database_dsn(os.environ["HUBNET_PG_DSN"], databases["notifications"]))
    try:
        began = time.monotonic()
        await asyncio.to_thread(local.start_all)
        processed = 0
        while time.monotonic() - began < seconds and processed < facts:
            await asyncio.sleep(0.5)
            processed = await conn.fetchval(
                "SELECT count(*) FROM inbox WHERE ce_type = 'se.hubnet.referral.requested.v1'"
            )
        took = time.monotonic() - began
    finally:
        await asyncio.to_thread(local.stop_all)
        await conn.close()
    return {"processed": processed, "seconds": round(took, 1), "per_second": round(processed / took, 1)}


async def _write(bootstrap: str, topic: str, facts: Iterator[Fact]) -> int:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, acks=1, **login("hubnet-referrals"))
    await producer.start()
    written, pending = 0, []
    try:
        for value, headers in facts:
            pending.append(await producer.send(topic, value, key=dict(headers)["ce_subject"], headers=headers))
            if len(pending) >= 2000:
                await asyncio.gather(*pending)
                written, pending = written + len(pending), []
        await asyncio.gather(*pending)
        return written + len(pending)
    finally:
        await producer.stop()
