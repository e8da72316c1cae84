"""A partner floods a command topic as fast as it can, to fill the partition the referrals service
reads (docs/security.md): the broker holds every partner's Kafka user to the quotas of
`hubnet_common.ops.access.QUOTAS`, so the flood is throttled to that rate."""

import asyncio
import time
import uuid

import pytest
from aiokafka import AIOKafkaProducer
from kafka import KafkaProducer

from hubnet_common.ops.access import principals
from hubnet_common.ops.local.kafka_users import admin_client, environment, quotas_on_broker
from hubnet_common.ops.local.partners import partner_login
from hubnet_common.sdk.topics import REFERRAL_COMMANDS, on_broker

pytestmark = pytest.mark.integration

FLOODER = "gardstensbostader"  # no other test sends as it: its throttle outlasts the flood by seconds
RECORD = b"x" * (256 * 1024)


def user_quotas(bootstrap: str) -> dict[str, dict[str, float]]:
    admin = admin_client(bootstrap)
    try:
        return quotas_on_broker(admin)
    finally:
        admin.close()


async def flood(bootstrap: str, topic: str, size: int) -> float:
    """Send `size` bytes as FLOODER as fast as it can (aiokafka, as the partner SDK): seconds it took."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks=1, linger_ms=5, max_batch_size=len(RECORD) + 1024, **partner_login(FLOODER)
    )
    await producer.start()
    try:
        began = time.monotonic()
        await asyncio.gather(*[await producer.send(topic, RECORD) for _ in range(size // len(RECORD))])
        return time.monotonic() - began
    finally:
        await producer.stop()


def throttle_ms(bootstrap: str, topic: str) -> float:
    """One more record as FLOODER: how long the broker's answer tells the client to hold back, in ms
    (kafka-python notes it; aiokafka ignores it and is only held back)."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks=1, **partner_login(FLOODER))
    try:
        producer.send(topic, RECORD).get(timeout=60)
        return max(
            (
                value
                for group in producer.metrics().values()
                for name, value in group.items()
                if name == "throttle-time-max" and isinstance(value, int | float)
            ),
            default=0.0,
        )
    finally:
        producer.close()


async def test_the_broker_holds_every_partner_user_to_its_quota(kafka_bootstrap):
    on_broker = await asyncio.to_thread(user_quotas, kafka_bootstrap)
    wanted = {p.user: p.quota.configs() for p in principals() if p.quota}
    assert wanted, "the access matrix gives partners quotas"
    assert {user: on_broker.get(user) for user in wanted} == wanted
    assert not {p.user for p in principals() if p.kind == "service"} & on_broker.keys()


async def test_a_partner_flooding_a_command_topic_is_throttled_to_its_quota(kafka_bootstrap):
    quota = next(p.quota for p in principals() if p.user == f"partner-{FLOODER}" and p.quota)
    rate = quota.producer_byte_rate
    size = 12 * rate  # beyond the ten seconds' worth the broker lets a user run ahead
    prefix = f"flood-{uuid.uuid4().hex[:8]}."
    topic = on_broker(REFERRAL_COMMANDS.name, prefix)
    async with environment(kafka_bootstrap, topic_prefix=prefix, group_prefix=f"{prefix}hubnet"):
        took = await flood(kafka_bootstrap, topic, size)
        throttled = await asyncio.to_thread(throttle_ms, kafka_bootstrap, topic)
    # An over-quota user's produce answers carry a throttle time, and the broker holds its
    # connections back for as long (how long the flood took is no measure: machines differ).
    assert throttled > 0, f"the broker let {size} bytes through in {took:.1f} s and never throttled"
