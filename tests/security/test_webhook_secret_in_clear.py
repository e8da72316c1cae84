"""Attack: an operator of the cluster (or anyone who can read a topic, its dead letters or the
notifications database) takes a partner's webhook secret and forges webhook calls to that partner
that it accepts as hubnet's. The secret must never be in clear on a topic or at rest: the service
makes it, answers with it sealed to the partner's X25519 key, and keeps it sealed to its own
(docs/adr/0008-webhook-secrets.md)."""

import uuid

import pytest
from aiokafka import TopicPartition

from hubnet_common.ops.local.kafka_users import admin_login
from hubnet_common.ops.local.partners import LocalPartnerClient
from hubnet_common.ops.partners import deployment_topics
from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.kafka import records_until_now
from hubnet_common.sdk.keys import read_key
from hubnet_common.sdk.messages.directory_commands import UpdatePartner
from hubnet_common.sdk.messages.notification_commands import RegisterWebhook
from hubnet_common.sdk.sealing import SealingError
from hubnet_common.sdk.topics import on_broker
from hubnet_common.sdk.webhook_signature import SECRET_PREFIX, open_secret
from hubnet_common.service.settings import Settings
from tests.integration.conftest import rows
from tests.integration.referral_steps import accepted, key_known_to_notifications

pytestmark = pytest.mark.integration


async def everything_an_operator_reads(kafka_bootstrap: str, notifications_dsn: str) -> bytes:
    """Every record of every topic (dead letters included) and every webhook endpoint row."""
    prefix = Settings().topic_prefix
    partitions = [
        TopicPartition(on_broker(t.name, prefix), p) for t in deployment_topics() for p in range(t.partitions)
    ]
    records = await records_until_now(kafka_bootstrap, partitions, **admin_login())
    seen = [r.value or b"" for r in records] + [v for r in records for _, v in r.headers or []]
    seen += [repr(dict(row)).encode() for row in await rows(notifications_dsn, "SELECT * FROM webhook_endpoints")]
    return b"\n".join(seen)


async def test_a_webhook_secret_is_never_readable_on_a_topic_or_in_the_database(network, kafka_bootstrap):
    keys, hook = Settings().keys_dir, f"clear-{uuid.uuid4().hex[:6]}"
    async with LocalPartnerClient(kafka_bootstrap, "brg") as partner:
        accepted(
            await partner.request(
                UpdatePartner(partner_id="brg", encryption_public_key=read_key(keys / "partner-brg.x25519.pub"))
            )
        )
        await key_known_to_notifications(network[2], "brg")
        answer = await partner.request(
            RegisterWebhook(webhook_id=hook, url="https://hooks.brg.example.org/in", kinds=["referral.*"])
        )
    accepted(answer)
    secret = open_secret(answer.sealed_secret, read_key(keys / "partner-brg.x25519.key"))  # only brg can
    assert secret.startswith(SECRET_PREFIX)
    with pytest.raises(SealingError):
        open_secret(answer.sealed_secret, read_key(keys / "partner-poseidon.x25519.key"))

    seen = await everything_an_operator_reads(kafka_bootstrap, network[2])
    assert secret.encode() not in seen, "the webhook secret is readable in clear"
    [row] = await rows(network[2], "SELECT sealed_secret FROM webhook_endpoints WHERE id = $1", hook)
    assert row["sealed_secret"] != answer.sealed_secret  # sealed to the service's own key at rest
    service_key = read_key(keys / "service-notifications.x25519.key")
    assert open_secret(row["sealed_secret"], service_key) == secret


async def test_a_secret_sent_in_the_command_is_refused(network, kafka_bootstrap):
    """An old client that still sends `secret` is told so, and its secret is never used."""
    async with LocalPartnerClient(kafka_bootstrap, "brg") as partner:
        answer = await partner.request_raw(
            RegisterWebhook.topic,
            b'{"webhook_id":"old-client","url":"https://hooks.brg.example.org/in","kinds":["referral.*"],'
            b'"secret":"whsec_chosen-by-the-partner-0123456789"}',
            envelope := Envelope.new(type=RegisterWebhook.ce_type, source=partner.source, subject="webhook:old-client"),
            key=envelope.subject,
        )
    assert answer.ce_type == "se.hubnet.command.rejected.v1"
    assert not await rows(network[2], "SELECT 1 FROM webhook_endpoints WHERE id = 'old-client'")
