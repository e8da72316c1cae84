"""Kafka clients: an idempotent producer (docs/adr/0004-single-outbox-relay.md) and topics made by us."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import InvalidProducerEpoch, InvalidProducerIdMapping, OutOfOrderSequenceNumber, UnknownProducerId

from hubnet_common.sdk.topics import ALL_TOPICS, Topic, on_broker

log = structlog.get_logger(__name__)


# After one of these the idempotent producer's sequence numbers are out of step with the broker
# (seen after a broker restart with sends in flight): every further send fails the same way.
PRODUCER_BROKEN = (OutOfOrderSequenceNumber, UnknownProducerId, InvalidProducerIdMapping, InvalidProducerEpoch)


class RenewingProducer:
    """An idempotent producer that replaces itself (a new producer id) when it is broken, so the
    outbox relay and the dead letters go on after a broker restart instead of failing until the
    process is restarted. The send that found it broken still fails: its caller sends again."""

    def __init__(self, make: Callable[[], AIOKafkaProducer]) -> None:
        self._make, self._producer, self._renewing = make, make(), asyncio.Lock()

    @property
    def client(self):
        return self._producer.client

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def send(self, topic: str, **record: Any) -> asyncio.Future:
        """Like AIOKafkaProducer.send: returns a future of the record's metadata."""
        producer = self._producer
        delivery = await producer.send(topic, **record)
        return asyncio.ensure_future(self._watch(producer, delivery))

    async def send_and_wait(self, topic: str, **record: Any):
        return await (await self.send(topic, **record))

    async def _watch(self, producer: AIOKafkaProducer, delivery: asyncio.Future):
        try:
            return await delivery
        except PRODUCER_BROKEN as exc:
            await self._renew(producer, exc)
            raise

    async def _renew(self, broken: AIOKafkaProducer, cause: Exception) -> None:
        async with self._renewing:
            if self._producer is not broken:
                return  # another failed send of the same producer renewed it already
            log.warning("kafka producer renewed", cause=repr(cause))
            with contextlib.suppress(Exception):
                await broken.stop()
            fresh = self._make()
            await fresh.start()
            self._producer = fresh


async def ensure_topics(
    bootstrap: str,
    topics: tuple[Topic, ...] = ALL_TOPICS,
    *,
    replication_factor: int = 1,
    prefix: str = "",
    **security: Any,
) -> list[str]:
    """Create the topics that do not exist yet and bring the settings of the others back to the
    topic list (no drift); returns the names created. `security`: an admin's login."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="hubnet-admin", **security)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if on_broker(t.name, prefix) not in existing]
        if missing:
            await admin.create_topics(
                [
                    NewTopic(on_broker(t.name, prefix), t.partitions, replication_factor, topic_configs=t.configs)
                    for t in missing
                ]
            )
        for topic in missing:
            log.info(
                "topic created",
                topic=on_broker(topic.name, prefix),
                partitions=topic.partitions,
                cleanup=topic.cleanup_policy,
            )
        present = [t for t in topics if on_broker(t.name, prefix) in existing]
        if present:
            await admin.alter_configs(
                [
                    ConfigResource(ConfigResourceType.TOPIC, on_broker(t.name, prefix), configs=t.configs)
                    for t in present
                ]
            )
        return [t.name for t in missing]
    finally:
        await admin.close()


async def delete_topics(bootstrap: str, prefix: str, **security: Any) -> list[str]:
    """Delete every topic of an environment (a test run's, a benchmark's); never the unprefixed ones."""
    if not prefix:
        raise ValueError("refusing to delete the topics of the environment without a prefix")
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="hubnet-admin", **security)
    await admin.start()
    try:
        doomed = [name for name in await admin.list_topics() if name.startswith(prefix)]
        if doomed:
            await admin.delete_topics(doomed)
        return doomed
    finally:
        await admin.close()
