"""Dead letters: a record that can never be processed is copied to `<topic>.dlq` as it was (key,
headers, body) plus why, by whom and from where, so an operator can inspect and replay it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import structlog
from aiokafka import AIOKafkaProducer

from hubnet_common.sdk.topics import dead_letter_topic
from hubnet_common.service.metrics import Metrics

if TYPE_CHECKING:
    from hubnet_common.service.processing import Record

log = structlog.get_logger(__name__)


def dead_letter_headers(record: Record, group: str, code: str, reason: str) -> list[tuple[str, bytes]]:
    extra = {
        "dlq_reason": code,
        "dlq_detail": reason[:2000],
        "dlq_group": group,
        "dlq_topic": record.topic,
        "dlq_partition": str(record.partition),
        "dlq_offset": str(record.offset),
        "dlq_time": datetime.now(UTC).isoformat(),
    }
    kept = [(n, v) for n, v in record.headers if not n.startswith("dlq_")]
    return kept + [(n, v.encode()) for n, v in extra.items()]


class DeadLetters:
    def __init__(self, producer: AIOKafkaProducer, metrics: Metrics | None = None) -> None:
        self.producer = producer
        self.metrics = metrics

    async def send(self, record: Record, group: str, code: str, reason: str) -> str:
        await self.producer.send_and_wait(
            dead_letter_topic(record.topic),
            value=record.value,
            key=record.key,
            headers=dead_letter_headers(record, group, code, reason),
        )
        if self.metrics is not None:
            self.metrics.dead_lettered(record.topic, code)
        log.warning("dead-lettered", code=code, reason=reason, topic=record.topic, offset=record.offset)
        return "dead-lettered"
