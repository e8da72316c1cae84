"""The raw ceiling on this machine, measured beside hubnet in the same run (BENCHMARKS.md):

- `produce_consume`: plain aiokafka, one producer and one consumer, records of a real fact's size
  and headers on a topic with a real topic's partitions;
- `consume_store_publish`: the most a consume-store-publish service can do here: a consumer group
  reads a batch, stores it in PostgreSQL in one transaction, publishes one record per input and
  commits the offsets, batch after batch.

The raw clients log in as the local broker's administrator: one SCRAM handshake per connection,
as for any hubnet client, and no ACLs to set up for topics that are not hubnet's.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from hubnet_common.ops.local.kafka_users import admin_login

PARTITIONS = 3


async def make_topics(bootstrap: str, *names: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **admin_login())
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, PARTITIONS, 1) for name in names])
    finally:
        await admin.close()


def _producer(bootstrap: str) -> AIOKafkaProducer:
    # As the services' producer is set up (hubnet_common.sdk.kafka.idempotent_producer).
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=2, **admin_login()
    )


async def fill(bootstrap: str, topic: str, records: int, value: bytes, headers: list) -> None:
    producer = _producer(bootstrap)
    await producer.start()
    try:
        batch = []
        for i in range(records):
            batch.append(await producer.send(topic, value, key=f"R-{i}".encode(), headers=headers))
            if len(batch) >= 2000:
                await asyncio.gather(*batch)
                batch = []
        await asyncio.gather(*batch)
    finally:
        await producer.stop()


async def produce_consume(bootstrap: str, prefix: str, records: int, value: bytes, headers: list) -> dict:
    topic = f"{prefix}raw-pc"
    await make_topics(bootstrap, topic)
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"{prefix}raw-pc",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        **admin_login(),
    )
    await consumer.start()
    try:
        while not consumer.assignment():
            await consumer.getmany(timeout_ms=100)
        began = time.perf_counter()
        filling = asyncio.create_task(fill(bootstrap, topic, records, value, headers))
        seen = 0
        while seen < records:
            for batch in (await consumer.getmany(timeout_ms=500, max_records=2000)).values():
                seen += len(batch)
        took = time.perf_counter() - began
        await filling
    finally:
        await consumer.stop()
    return {"records": records, "seconds": round(took, 2), "per_second": round(records / took)}


async def consume_store_publish(
    bootstrap: str, prefix: str, dsn: str, records: int, value: bytes, headers: list
) -> dict:
    source, sink = f"{prefix}raw-csp-in", f"{prefix}raw-csp-out"
    await make_topics(bootstrap, source, sink)
    await fill(bootstrap, source, records, value, headers)
    conn = await asyncpg.connect(dsn)
    await conn.execute("CREATE TABLE IF NOT EXISTS raw_stored (id uuid PRIMARY KEY, key text, body bytea)")
    consumer = AIOKafkaConsumer(
        source,
        bootstrap_servers=bootstrap,
        group_id=f"{prefix}raw-csp",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_poll_records=500,
        **admin_login(),
    )
    producer = _producer(bootstrap)
    await consumer.start()
    await producer.start()
    try:
        began, done = time.perf_counter(), 0
        while done < records:
            batches = await consumer.getmany(timeout_ms=500, max_records=500)
            for tp, batch in batches.items():
                async with conn.transaction():
                    await conn.executemany(
                        "INSERT INTO raw_stored (id, key, body) VALUES ($1, $2, $3)",
                        [(uuid.uuid4(), r.key.decode(), r.value) for r in batch],
                    )
                await asyncio.gather(
                    *[await producer.send(sink, r.value, key=r.key, headers=list(r.headers)) for r in batch]
                )
                await consumer.commit({tp: batch[-1].offset + 1})
                done += len(batch)
        took = time.perf_counter() - began
    finally:
        await consumer.stop()
        await producer.stop()
        await conn.execute("DROP TABLE raw_stored")
        await conn.close()
    return {"records": records, "seconds": round(took, 2), "per_second": round(records / took)}
