"""The broker itself keeps each partner and service to its own topics (docs/security.md, access.py): every
client logs in as its own user, and what no ACL allows is refused. Which partner a command is
*from* is the signature's business; which topics it may touch is the broker's."""

import asyncio

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import GroupAuthorizationFailedError, KafkaConnectionError, TopicAuthorizationFailedError

from hubnet_common.ops.local.credentials import login
from hubnet_common.sdk.messages.replies import CommandAccepted
from hubnet_common.sdk.topics import REFERRAL_EVENTS, on_broker, replies_topic
from hubnet_common.service.runtime import consumer_group
from hubnet_common.service.settings import Settings
from hubnet_referrals import bootstrap
from hubnet_referrals.settings import ReferralSettings
from tests.conftest import fresh_group_prefix
from tests.integration.conftest import running
from tests.integration.referral_steps import consent

pytestmark = pytest.mark.integration


def topic(name: str) -> str:
    return on_broker(name, Settings().topic_prefix)


async def write(user: str, name: str, **security) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=Settings().kafka_bootstrap, **(security or login(user)))
    try:
        await producer.start()
        await producer.send_and_wait(topic(name), b"{}", key=b"R-acl")
    finally:
        await producer.stop()


async def read(user: str, name: str, group: str | None = None) -> None:
    consumer = AIOKafkaConsumer(
        topic(name),
        bootstrap_servers=Settings().kafka_bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **login(user),
    )
    try:
        await consumer.start()
        await consumer.getmany(timeout_ms=3000)
    finally:
        await consumer.stop()


async def test_a_partner_sends_commands_and_reads_the_answers_on_its_own_replies_topic(
    new_database, kafka_bootstrap, partner
):
    dsn = await new_database("referrals")
    settings = ReferralSettings(pg_dsn=dsn, kafka_bootstrap=kafka_bootstrap, group_prefix=fresh_group_prefix("acl"))
    async with running(bootstrap.spec(settings), settings), partner("bostadsbolaget") as sender:
        reply = await sender.request(consent())
    assert isinstance(reply, CommandAccepted) and reply.recipient.endswith(":bostadsbolaget")
    assert sender.replies_topic == replies_topic("bostadsbolaget")


@pytest.mark.parametrize("name", [replies_topic("bostadsbolaget").name, REFERRAL_EVENTS.name])
async def test_a_partner_may_not_write_another_partners_replies_nor_facts(kafka_bootstrap, name):
    with pytest.raises(TopicAuthorizationFailedError):
        await write("partner-brg", name)


async def test_a_partner_may_not_read_another_partners_replies(kafka_bootstrap):
    await read("partner-brg", replies_topic("brg").name)  # its own: allowed
    with pytest.raises(TopicAuthorizationFailedError):
        await read("partner-brg", replies_topic("bostadsbolaget").name)


async def test_a_partner_may_not_join_a_services_consumer_group(kafka_bootstrap):
    """It could otherwise take partitions away from the service and commit its offsets."""
    group = consumer_group(fresh_group_prefix("acl"), "notifications", REFERRAL_EVENTS.name)
    with pytest.raises(GroupAuthorizationFailedError):
        await read("partner-brg", REFERRAL_EVENTS.name, group=group)


async def test_a_service_may_not_write_a_topic_it_does_not_produce(kafka_bootstrap):
    with pytest.raises(TopicAuthorizationFailedError):
        await write("hubnet-events", REFERRAL_EVENTS.name)


async def test_a_wrong_password_is_refused(kafka_bootstrap, caplog):
    wrong = {**login("partner-brg"), "sasl_plain_password": "not-the-password"}
    with pytest.raises(KafkaConnectionError):
        await asyncio.wait_for(write("partner-brg", "referral.commands.v1", **wrong), 30)
    assert "SaslAuthenticationFailed" in caplog.text  # refused, not unreachable
