"""`referral.erasures.v1` read to its end (domain/erasure.py), at start-up, without a consumer
group: every replica reads all of it, each time it starts."""

from __future__ import annotations

from datetime import datetime

import structlog
from aiokafka import TopicPartition
from pydantic import ValidationError

from hubnet_common.sdk.kafka import records_until_now
from hubnet_common.sdk.topics import REFERRAL_ERASURES, on_broker
from hubnet_common.service.kafka_security import client_security
from hubnet_common.service.settings import Settings
from hubnet_referrals.domain.erasure import DataKeyDestroyed, latest

log = structlog.get_logger(__name__)
READ_SECONDS = 600.0  # one small record per erased resident ever: far more than a million of them


async def read_erasures(settings: Settings) -> dict[str, datetime]:
    """Per erased resident, the time of the last key of theirs destroyed."""
    topic = on_broker(REFERRAL_ERASURES.name, settings.topic_prefix)
    records = await records_until_now(
        settings.kafka_bootstrap,
        [TopicPartition(topic, p) for p in range(REFERRAL_ERASURES.partitions)],
        timeout=READ_SECONDS,
        **client_security(settings),
    )
    found = []
    for record in records:
        try:
            found.append(DataKeyDestroyed.model_validate_json(record.value))
        except (ValidationError, TypeError):  # a tombstone, or what no version of this service wrote
            log.warning("unreadable erasure record skipped", partition=record.partition, offset=record.offset)
    return latest(found)
