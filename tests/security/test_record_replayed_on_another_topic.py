"""Attack: copy a partner's signed command, byte for byte (key, headers, body), from the topic it
was sent to onto another command topic. Anyone who reads the one and may write the other can: a
service's or an operator's login reads referral.commands.v1 and its dead letters, and every
partner may write hubevent.commands.v1. When the signature did not cover the topic, the events
service took the copy as bostadsbolaget's own command to it and answered it in bostadsbolaget's
name; only the absence of a handler for the type kept it from acting. The signature covers the
topic (docs/adr/0010-signed-form-covers-the-topic.md): the copy is a bad signature there."""

from aiokafka import AIOKafkaProducer, TopicPartition

from hubnet_common.ops import dlq
from hubnet_common.ops.local.credentials import logged_in, login
from hubnet_common.ops.local.partners import LocalPartnerClient, partner_login
from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.kafka import records_until_now
from hubnet_common.sdk.topics import HUB_EVENT_COMMANDS, REFERRAL_COMMANDS, on_broker
from hubnet_common.service.settings import Settings
from tests.integration.common.test_signatures import rejections
from tests.integration.conftest import eventually
from tests.integration.referral_steps import accepted, consent


async def _as_sent(kafka_bootstrap: str, command_id: str):
    """The record as it lies on referral.commands.v1 (read as the referrals service reads it)."""
    topic = on_broker(REFERRAL_COMMANDS.name, Settings().topic_prefix)
    records = await records_until_now(
        kafka_bootstrap,
        [TopicPartition(topic, p) for p in range(REFERRAL_COMMANDS.partitions)],
        **login("hubnet-referrals"),
    )
    [record] = [r for r in records if ("ce_id", command_id.encode()) in r.headers]
    return record


async def test_a_signed_command_copied_onto_another_topic_is_refused(network, kafka_bootstrap):
    given = consent()
    async with LocalPartnerClient(kafka_bootstrap, "bostadsbolaget") as bostadsbolaget:
        sent = Envelope.new(type=given.ce_type, source=bostadsbolaget.source, subject=given.subject())
        body = given.model_dump_json().encode()
        # the real command, on the topic it was signed for
        accepted(await bostadsbolaget.request_raw(given.topic, body, sent, key=given.subject()))
    original = await _as_sent(kafka_bootstrap, sent.id)

    # stadsmissionen, a partner, may write hubevent.commands.v1: it puts the copy there unchanged.
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, **partner_login("stadsmissionen"))
    await producer.start()
    try:
        await producer.send_and_wait(
            on_broker(HUB_EVENT_COMMANDS.name, Settings().topic_prefix),
            original.value,
            key=original.key,
            headers=list(original.headers),
        )
    finally:
        await producer.stop()

    async def dead_letter():
        letters = await dlq.read(
            logged_in("hubnet-operator", Settings(kafka_bootstrap=kafka_bootstrap)), topic=HUB_EVENT_COMMANDS.name
        )
        return [d for d in letters if d.header("ce_id") == sent.id]

    [letter] = await eventually(dead_letter, 30, every=0.3, what="the copy dead-lettered by the events service")
    assert letter.reason == "bad-signature", f"the events service took the copy as signed: {letter.reason}"
    [audit] = await rejections(kafka_bootstrap, sent.id)
    assert (audit.code, audit.claimed_source) == ("bad-signature", bostadsbolaget.source)
