"""Operators' tools for dead letters (`<topic>.dlq`): list and show them, replay them to the
topic they came from (the consumer's inbox makes a replayed record take effect once), and purge
what has been dealt with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, RecordsToDelete

from hubnet_common.sdk.kafka import idempotent_producer, records_until_now
from hubnet_common.sdk.topics import MAIN_TOPICS, on_broker
from hubnet_common.service.kafka_security import client_security
from hubnet_common.service.settings import Settings

log = structlog.get_logger(__name__)
DEAD_LETTER_TOPICS = [t.dlq for t in MAIN_TOPICS if t.dead_letter]


@dataclass(frozen=True)
class DeadLetter:
    topic: str  # the dead-letter topic, without the environment's prefix
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]

    def header(self, name: str) -> str:
        return next((v.decode("utf-8", "replace") for n, v in self.headers if n == name), "")

    @property
    def reason(self) -> str:
        return self.header("dlq_reason")

    @property
    def at(self) -> datetime | None:
        raw = self.header("dlq_time")
        return datetime.fromisoformat(raw) if raw else None

    @property
    def original(self) -> tuple[str, int, int]:
        return self.header("dlq_topic"), int(self.header("dlq_partition") or -1), int(self.header("dlq_offset") or -1)

    def matches(self, *, group: str | None, reason: str | None, since: datetime | None, until: datetime | None) -> bool:
        at = self.at
        return (
            (group is None or self.header("dlq_group") == group)
            and (reason is None or self.reason == reason)
            and (since is None or (at is not None and at >= since))
            and (until is None or (at is not None and at <= until))
        )


def _topics(topic: str | None) -> list[str]:
    names = [t.name for t in DEAD_LETTER_TOPICS]
    if topic is None:
        return names
    name = topic if topic.endswith(".dlq") else f"{topic}.dlq"
    if name not in names:
        raise ValueError(f"no dead-letter topic {name}; there are: {', '.join(names)}")
    return [name]


async def read(
    settings: Settings,
    *,
    topic: str | None = None,
    group: str | None = None,
    reason: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    timeout: float = 15.0,
) -> list[DeadLetter]:
    """Every dead letter on the chosen topics that matches the filters, oldest first per topic."""
    prefix = settings.topic_prefix
    partitions = [TopicPartition(on_broker(name, prefix), 0) for name in _topics(topic)]
    records = await records_until_now(
        settings.kafka_bootstrap, partitions, timeout=timeout, **client_security(settings)
    )
    found = [
        DeadLetter(r.topic.removeprefix(prefix), r.partition, r.offset, r.key, r.value, tuple(r.headers or ()))
        for r in records
    ]
    return [d for d in found if d.matches(group=group, reason=reason, since=since, until=until)]


async def replay(settings: Settings, letters: list[DeadLetter]) -> int:
    """Send each record again, as it was, to the topic it came from; returns how many."""
    prefix = settings.topic_prefix
    producer = idempotent_producer(settings.kafka_bootstrap, "hubnet-dlq-replay", **client_security(settings))
    await producer.start()
    try:
        for letter in letters:
            topic, _partition, offset = letter.original
            headers = [(n, v) for n, v in letter.headers if not n.startswith("dlq_")]
            headers.append(("hubnet_replayed_from", f"{letter.topic}/{letter.partition}/{letter.offset}".encode()))
            await producer.send_and_wait(on_broker(topic, prefix), value=letter.value, key=letter.key, headers=headers)
            log.info(
                "dead letter replayed",
                dead_letter=f"{letter.topic}/{letter.offset}",
                to=topic,
                original_offset=offset,
                reason=letter.reason,
            )
        return len(letters)
    finally:
        await producer.stop()


async def purge(settings: Settings, topic: str, *, before: int | None = None) -> int:
    """Delete a dead-letter topic's records before `before` (all of them when not given); returns
    the offset from which records remain. Kafka deletes only from the start of a log."""
    [name] = _topics(topic)
    tp = TopicPartition(on_broker(name, settings.topic_prefix), 0)
    security = client_security(settings)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False, **security)
    await consumer.start()
    try:
        end = (await consumer.end_offsets([tp]))[tp]
    finally:
        await consumer.stop()
    upto = end if before is None else min(before, end)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, client_id="hubnet-dlq", **security)
    await admin.start()
    try:
        await admin.delete_records({tp: RecordsToDelete(before_offset=upto)})
    finally:
        await admin.close()
    log.info("dead letters purged", topic=name, before_offset=upto)
    return upto
