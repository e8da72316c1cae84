"""A partner floods a command topic as fast as it can, to fill the partition the referrals service
reads (docs/security.md): the broker holds every partner's Kafka user to the quotas of
`hubnet_common.ops.access.QUOTAS`, so the flood is throttled to that rate."""

import asyncio
import time
import uuid

import pytest
from kafka import KafkaProducer

from hubnet_common.ops.access import principals
from hubnet_common.ops.local.kafka_users import admin_client, environment, quotas_on_broker
from hubnet_common.ops.local.partners import partner_login
from hubnet_common.sdk.topics import REFERRAL_COMMANDS, on_broker

pytestmark = pytest.mark.integration

FLOODER = "gardstensbostader"  # no other test sends as it: its throttle outlasts the flood by seconds
RECORD = b"x" * (64 * 1024)


def user_quotas(bootstrap: str) -> dict[str, dict[str, float]]:
    admin = admin_client(bootstrap)
    try:
        return quotas_on_broker(admin)
    finally:
        admin.close()


def flood(bootstrap: str, topic: str, size: int) -> tuple[float, float]:
    """Send `size` bytes as FLOODER as fast as the client can: (seconds it took, the longest
    throttle time the broker answered with, in ms, as the client noted it)."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks=1, linger_ms=5, **partner_login(FLOODER))
    try:
        began = time.monotonic()
        for _ in range(size // len(RECORD)):
            producer.send(topic, RECORD)
        producer.flush(timeout=120)
        took = time.monotonic() - began
        throttled = [
            value
            for group in producer.metrics().values()
            for name, value in group.items()
            if name == "throttle-time-max" and isinstance(value, int | float)
        ]
        return took, max(throttled, default=0.0)
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
    async with environment(kafka_bootstrap, topic_prefix=prefix, group_prefix=f"{prefix}hubnet"):
        took, throttled_ms = await asyncio.to_thread(
            flood, kafka_bootstrap, on_broker(REFERRAL_COMMANDS.name, prefix), size
        )
    # The broker answers over-quota produce requests with a throttle time and holds the connection
    # back for it; the time the flood took says nothing here, an unthrottled one can be as slow.
    assert throttled_ms > 0, f"the broker never throttled {size} bytes sent in {took:.1f} s"
