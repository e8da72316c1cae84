"""Attack: read a staff member's e-mail address, or what their mail server says about its insides,
from what the notifications service makes public of a failed mail. The server refuses the
recipient with a reply that echoes the address and names its host (as real servers do); the
`notification.failed` fact (shared with the whole network) and `/deliveries/failed` may carry only
a reason code. The details go to the service's log. Against the real broker and PostgreSQL, with a
real SMTP server (aiosmtpd) in this process."""

import uuid

import pytest
from aiokafka import TopicPartition
from aiosmtpd.controller import Controller

from hubnet_common.ops.local.identities import operator_tokens
from hubnet_common.ops.local.kafka_users import admin_login
from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.identity import service_source
from hubnet_common.sdk.kafka import records_until_now
from hubnet_common.sdk.messages import notification_events
from hubnet_common.sdk.topics import ALL_TOPICS, on_broker
from hubnet_common.service.settings import Settings
from hubnet_notifications import bootstrap
from hubnet_notifications.settings import NotificationSettings
from tests.conftest import free_port, fresh_group_prefix
from tests.integration.conftest import eventually, publish_facts
from tests.integration.referral_steps import referral_requested
from tests.integration.served import get, serving

pytestmark = pytest.mark.integration
SARA = "sara.nilsson@brg.example.org"
MAIL_HOST = "mx3.intra.brg.example.org"


class RefusingServer:
    """Refuses every recipient for good, with a reply naming the address and the server."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        return f"550 5.1.1 <{address}>: Recipient address rejected: user unknown in {MAIL_HOST} (ldap 10.9.8.7)"


@pytest.fixture
def refusing_server():
    port = free_port()
    controller = Controller(RefusingServer(), hostname="127.0.0.1", port=port)
    controller.start()
    yield port
    controller.stop()


async def fact_records(bootstrap_servers: str) -> list[bytes]:
    [topic] = [t for t in ALL_TOPICS if t.name == notification_events.TOPIC]
    name = on_broker(topic.name, Settings().topic_prefix)
    partitions = [TopicPartition(name, p) for p in range(topic.partitions)]
    return [r.value or b"" for r in await records_until_now(bootstrap_servers, partitions, **admin_login())]


async def test_a_refused_mail_tells_the_network_no_address_and_no_server_reply(
    new_database, kafka_bootstrap, refusing_server
):
    settings = NotificationSettings(
        pg_dsn=await new_database("notifications"),
        kafka_bootstrap=kafka_bootstrap,
        group_prefix=fresh_group_prefix("leak"),
        smtp_port=refusing_server,
    )
    fact = referral_requested(f"R-leak-{uuid.uuid4().hex[:8]}", participant_ref="ab" * 32, consent_id="C-leak")
    envelope = Envelope.new(type=fact.ce_type, source=service_source("referrals"), subject=fact.subject())
    async with serving(bootstrap.spec(settings), settings) as (url, _):
        await publish_facts(kafka_bootstrap, [(fact, envelope)])

        async def sara_failed() -> list:
            _, failed = await get(url, "/deliveries/failed", operator_tokens().token())
            return [d for d in failed if d["source_id"] == envelope.id and d["recipient_id"] == "brg-sara"]

        [delivery] = await eventually(sara_failed, 60, what="Sara's mail failed for good")
        records = await eventually(
            lambda: _with_sara(fact_records(kafka_bootstrap), envelope.id), 30, what="its notification.failed"
        )
    told = b"\n".join(records).decode() + "\n" + str(delivery)
    for secret in (SARA, "sara.nilsson", MAIL_HOST, "10.9.8.7", "5.1.1", "address rejected"):
        assert secret not in told, f"{secret!r} is told to the network: {told}"
    assert delivery["last_error"] == "smtp-refused"


async def _with_sara(records_coming, source_id: str) -> list[bytes] | None:
    records = await records_coming
    ours = [r for r in records if source_id.encode() in r and b"brg-sara" in r and b"reason" in r]
    return records if ours else None
