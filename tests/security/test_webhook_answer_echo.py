"""Attack: a partner points its webhook at a service that answers with something worth reading
(an internal status page, an error naming hosts or versions) and reads the answer back from what
the notifications service records (`last_error`, `notification.failed`, `/deliveries/failed`).
Only a generic reason may be recorded; the details go to the service's log. The receiver here is
on loopback over http, so this service runs with the local allowances (HUBNET_WEBHOOK_ALLOW_PRIVATE,
HUBNET_WEBHOOK_ALLOW_HTTP), as the local stack and tests do."""

import asyncio
import contextlib
import uuid

import pytest

from hubnet_common.ops.local.partners import LocalPartnerClient
from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.identity import service_source
from hubnet_common.sdk.messages.notification_commands import RegisterWebhook
from tests.integration.conftest import eventually, publish_facts, rows
from tests.integration.network import LOCAL_WEBHOOKS, three_in_process
from tests.integration.referral_steps import accepted, referral_requested
from tests.security.conftest import publish_encryption_key

pytestmark = pytest.mark.integration

SECRET_ANSWER = "Forbidden db=10.1.2.3:5432 user=admin build=4.2.1-internal"


@pytest.fixture(scope="module")
async def local_network(new_database, kafka_bootstrap, mail_sink):
    async with three_in_process(
        new_database, kafka_bootstrap, mail_sink[0], "echo", notification_settings=LOCAL_WEBHOOKS
    ) as dsns:
        yield dsns


@contextlib.asynccontextmanager
async def answering(status_line: str):
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while await reader.readuntil(b"\r\n") != b"\r\n":
                pass
            writer.write(f"{status_line}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hook"
    finally:
        server.close()
        await server.wait_closed()


async def test_a_receivers_answer_is_not_echoed_into_the_delivery_records(local_network, kafka_bootstrap):
    hook = f"echo-{uuid.uuid4().hex[:6]}"
    async with answering(f"HTTP/1.1 403 {SECRET_ANSWER}") as url:
        async with LocalPartnerClient(kafka_bootstrap, "brg") as attacker:
            await publish_encryption_key(attacker, "brg", local_network[2])
            accepted(await attacker.request(RegisterWebhook(webhook_id=hook, url=url, kinds=["referral.*"])))
        fact = referral_requested(f"R-echo-{uuid.uuid4().hex[:8]}", participant_ref="ab" * 32, consent_id="C-echo")
        envelope = Envelope.new(type=fact.ce_type, source=service_source("referrals"), subject=fact.subject())
        await publish_facts(kafka_bootstrap, [(fact, envelope)])
        [row] = await eventually(
            lambda: rows(
                local_network[2],
                "SELECT last_error FROM notifications WHERE recipient_id = $1 AND status = 'failed'",
                hook,
            ),
            60,
            what="the delivery failed for good",
        )
    assert row["last_error"] == "webhook-refused"
    assert "db=" not in row["last_error"] and "127.0.0.1" not in row["last_error"]
