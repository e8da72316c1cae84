"""Kafka clients configured the way DESIGN §5 asks: an idempotent producer, topics made by us."""

from __future__ import annotations

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from hubnet_common.topics import ALL_TOPICS, Topic

log = structlog.get_logger(__name__)


def idempotent_producer(bootstrap: str, client_id: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap, client_id=client_id, enable_idempotence=True, acks="all", linger_ms=2
    )


async def ensure_topics(
    bootstrap: str, topics: tuple[Topic, ...] = ALL_TOPICS, *, replication_factor: int = 1
) -> list[str]:
    """Create the topics that do not exist yet and bring the settings of the others back to the
    topic list (no drift); returns the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="hubnet-admin")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t.name not in existing]
        if missing:
            await admin.create_topics(
                [NewTopic(t.name, t.partitions, replication_factor, topic_configs=t.configs) for t in missing]
            )
        for topic in missing:
            log.info("topic created", topic=topic.name, partitions=topic.partitions, cleanup=topic.cleanup_policy)
        present = [t for t in topics if t.name in existing]
        if present:
            await admin.alter_configs(
                [ConfigResource(ConfigResourceType.TOPIC, t.name, configs=t.configs) for t in present]
            )
        return [t.name for t in missing]
    finally:
        await admin.close()


async def start_group_at_end(bootstrap: str, group: str, topics: list[Topic]) -> None:
    """Commit the current end offsets for a consumer group that has none yet, so that it starts
    with what is published from now on instead of the whole history (a new test environment on a
    shared broker; an operator adding a consumer that must not replay)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(t.name, p) for t in topics for p in range(t.partitions)]
        consumer.assign(partitions)
        if any([await consumer.committed(tp) is not None for tp in partitions]):
            return  # the group has started already: leave its offsets alone
        ends = await consumer.end_offsets(partitions)
        await consumer.commit({tp: offset for tp, offset in ends.items()})
    finally:
        await consumer.stop()
