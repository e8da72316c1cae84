"""Read back everything a test run put on the topics (as the local super user: every partner's replies too)."""

from aiokafka import AIOKafkaConsumer, TopicPartition

from hubnet_common.ops.local.kafka_users import admin_login
from hubnet_common.ops.partners import deployment_topics
from hubnet_common.sdk.kafka import records_until_now
from hubnet_common.sdk.topics import on_broker
from hubnet_common.service.settings import Settings


def _partitions() -> list[TopicPartition]:
    prefix = Settings().topic_prefix
    return [TopicPartition(on_broker(t.name, prefix), p) for t in deployment_topics() for p in range(t.partitions)]


async def end_offsets(bootstrap: str) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, **admin_login())
    await consumer.start()
    try:
        return await consumer.end_offsets(_partitions())
    finally:
        await consumer.stop()


async def records_since(bootstrap: str, offsets: dict[TopicPartition, int]) -> list[tuple[str, list, bytes]]:
    """(topic, headers, value) of every record after `offsets`, up to the current ends."""
    records = await records_until_now(bootstrap, list(offsets), start=offsets, **admin_login())
    return [(r.topic, list(r.headers), r.value or b"") for r in records]
