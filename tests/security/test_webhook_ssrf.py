"""Attack: a partner registers a webhook at an address inside the network (loopback, the cluster's
pods and services, a cloud's metadata service at 169.254.169.254) and has the notifications service
call it for it (server-side request forgery), reading what answered from the delivery records.
With the default settings a webhook must be HTTPS to a public address: an address literal is
refused at registration, and a name is resolved and checked at each delivery, on the address then
connected to (docs/security.md)."""

import asyncio
import contextlib
import uuid

import pytest

from hubnet_common.ops.local.partners import LocalPartnerClient
from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.identity import service_source
from hubnet_common.sdk.messages.notification_commands import RegisterWebhook
from tests.integration.conftest import eventually, publish_facts, rows
from tests.integration.referral_steps import accepted, referral_requested
from tests.security.conftest import publish_encryption_key

pytestmark = pytest.mark.integration

INTERNAL = [
    "https://127.0.0.1/hook",
    "https://10.0.0.5:8443/admin",
    "https://[::1]/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://100.64.0.1/hook",
    "https://[fd00::1]/hook",
    "https://10.96.0.1/api",  # a typical cluster's Kubernetes API service
    "http://hooks.example.org/plain-http",  # not HTTPS
]


@pytest.mark.parametrize("url", INTERNAL)
async def test_a_partner_cannot_register_a_webhook_at_an_internal_address(network, kafka_bootstrap, url):
    async with LocalPartnerClient(kafka_bootstrap, "brg") as attacker:
        answer = await attacker.request(
            RegisterWebhook(webhook_id=f"ssrf-{uuid.uuid4().hex[:6]}", url=url, kinds=["referral.*"])
        )
    assert (answer.ce_type, getattr(answer, "code", None)) == ("se.hubnet.command.rejected.v1", "address-not-allowed")


@contextlib.asynccontextmanager
async def listening_on_loopback():
    """A TCP server on 127.0.0.1 that only counts who connects."""
    connections: list[str] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append("connected")
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], connections
    finally:
        server.close()
        await server.wait_closed()


async def test_a_webhook_at_a_name_resolving_to_loopback_is_never_called(network, kafka_bootstrap):
    """`localhost` is a name, so it passes registration; the delivery resolves it, finds loopback,
    does not connect, and records a generic reason."""
    hook = f"ssrf-name-{uuid.uuid4().hex[:6]}"
    async with listening_on_loopback() as (port, connections):
        async with LocalPartnerClient(kafka_bootstrap, "brg") as attacker:
            await publish_encryption_key(attacker, "brg", network[2])
            accepted(
                await attacker.request(
                    RegisterWebhook(
                        webhook_id=hook,
                        url=f"https://localhost:{port}/hook",
                        kinds=["referral.*"],
                    )
                )
            )
        fact = referral_requested(f"R-ssrf-{uuid.uuid4().hex[:8]}", participant_ref="ab" * 32, consent_id="C-ssrf")
        envelope = Envelope.new(type=fact.ce_type, source=service_source("referrals"), subject=fact.subject())
        await publish_facts(kafka_bootstrap, [(fact, envelope)])

        async def tried() -> bool:
            done = await rows(
                network[2],
                "SELECT 1 FROM notifications WHERE recipient_id = $1 AND (status = 'failed' OR attempts > 0)",
                hook,
            )
            return bool(connections or done)

        await eventually(tried, 60, what="the delivery was tried")
        await asyncio.sleep(0.5)  # room for a connection that must not come
    assert connections == [], "the notifications service connected to loopback for a partner"
    [row] = await rows(network[2], "SELECT status, last_error FROM notifications WHERE recipient_id = $1", hook)
    assert (row["status"], row["last_error"]) == ("failed", "address-not-allowed")
