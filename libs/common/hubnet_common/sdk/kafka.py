"""The partner client's Kafka clients (aiokafka only): an idempotent producer, reading up to now."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from hubnet_common.sdk.topics import DLQ_MAX_RECORD_BYTES


def idempotent_producer(bootstrap: str, client_id: str, **security: Any) -> AIOKafkaProducer:
    """The services' producer; it also copies records of up to 1 MiB to their dead-letter topic.
    `security`: `kafka_security.client_security(settings)` where the broker wants authentication."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=2,
        max_request_size=DLQ_MAX_RECORD_BYTES,
        **security,
    )


async def records_until_now(
    bootstrap: str,
    partitions: list[TopicPartition],
    *,
    start: dict[TopicPartition, int] | None = None,
    timeout: float = 30.0,
    **security: Any,
) -> list:
    """Every record of the partitions from `start` (default: the beginning) up to their end as it
    is now, in offset order per partition; records written meanwhile are left out."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, **security)
    await consumer.start()
    try:
        consumer.assign(partitions)
        if start is None:
            await consumer.seek_to_beginning(*partitions)
        else:
            for tp, offset in start.items():
                consumer.seek(tp, offset)
        ends = await consumer.end_offsets(partitions)
        found = []
        async with asyncio.timeout(timeout):
            while any([await consumer.position(tp) < end for tp, end in ends.items()]):
                for tp, records in (await consumer.getmany(timeout_ms=500)).items():
                    found += [r for r in records if r.offset < ends[tp]]
        return found
    finally:
        await consumer.stop()
