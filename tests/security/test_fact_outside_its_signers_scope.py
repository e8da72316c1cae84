"""Attack: a service's signing key signs a fact another service owns. With the events service's
key (stolen, say) and a way onto referral.events.v1, an attacker announces a referral that never
was, and the notifications service tells its staff. Each service may sign only its own facts."""

from aiokafka import AIOKafkaProducer

from hubnet_common.ops.local.credentials import login
from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.identity import service_source
from hubnet_common.sdk.topics import on_broker
from hubnet_common.service.runtime import service_signer
from hubnet_common.service.settings import Settings
from tests.integration.common.test_signatures import rejections
from tests.integration.conftest import rows
from tests.integration.referral_steps import referral_requested


async def test_a_service_key_cannot_sign_another_services_facts(network, kafka_bootstrap):
    fact = referral_requested("R-out-of-scope-1", participant_ref="cd" * 32, consent_id="C-out-of-scope")
    envelope = Envelope.new(type=fact.ce_type, source=service_source("events"), subject=fact.subject())
    key, body = fact.subject().encode(), fact.model_dump_json().encode()
    signed = service_signer("events", Settings()).sign(fact.topic, key, envelope.to_headers(), body)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, **login("hubnet-referrals"))  # a way onto the topic
    await producer.start()
    try:
        await producer.send_and_wait(on_broker(fact.topic, Settings().topic_prefix), body, key=key, headers=signed)
    finally:
        await producer.stop()

    audits = await rejections(kafka_bootstrap, envelope.id, at_least=2)  # by events and by notifications
    assert {(a.code, a.consumer.split("-")[-2]) for a in audits} >= {
        ("out-of-scope", "events"),
        ("out-of-scope", "notifications"),
    }
    assert not await rows(network[2], "SELECT 1 FROM notifications WHERE source_id = $1", envelope.id)
