"""WebhookSender against a real HTTP server on 127.0.0.1 that verifies signatures as a partner would."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

import pytest

from hubnet_common.sdk.webhook_signature import new_secret
from hubnet_notifications.adapters import webhook
from hubnet_notifications.adapters.webhook import WebhookRejected, WebhookUnavailable
from hubnet_notifications.domain.webhook_address import WebhookPolicy
from tests.integration.webhook_receiver import receiving

pytestmark = pytest.mark.integration

LOCAL = WebhookPolicy(allow_http=True, allow_private=True)  # the receivers here are on 127.0.0.1 over http


def WebhookSender(**kwargs) -> webhook.WebhookSender:  # the class, with the local policy unless told
    return webhook.WebhookSender(policy=kwargs.pop("policy", LOCAL), **kwargs)


DOCUMENT = {"event": "referral.requested", "referral_id": "r-42", "partner": "brg", "note": "Välkommen"}


@pytest.fixture
async def receiver():
    async with receiving() as rec:
        yield rec


async def test_delivers_signed_document(receiver):
    status = await WebhookSender(user_agent="hubnet-test/1").send(
        receiver.url, receiver.secret, DOCUMENT, delivery_id="d-1"
    )
    assert status == 204
    [request] = receiver.requests
    assert receiver.verified == [True]
    assert request.method == "POST"
    assert request.target == "/hooks/hubnet?tenant=brg"
    assert request.headers["hubnet-delivery"] == "d-1"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == "hubnet-test/1"
    assert request.headers["hubnet-signature"].startswith("t=")
    assert request.body == json.dumps(DOCUMENT, separators=(",", ":")).encode()
    assert json.loads(request.body) == DOCUMENT


async def test_signature_with_another_secret_does_not_verify(receiver):
    await WebhookSender().send(receiver.url, new_secret(), DOCUMENT, delivery_id="d-2")
    assert receiver.verified == [False]


@pytest.mark.parametrize("status", [200, 201, 202])
async def test_any_2xx_is_success(receiver, status):
    receiver.status = status
    assert await WebhookSender().send(receiver.url, receiver.secret, DOCUMENT, delivery_id="d-3") == status


@pytest.mark.parametrize("status", [500, 502, 503, 408, 429])
async def test_transient_statuses_raise_unavailable(receiver, status):
    receiver.status = status
    with pytest.raises(WebhookUnavailable, match=str(status)):
        await WebhookSender().send(receiver.url, receiver.secret, DOCUMENT, delivery_id="d-4")
    assert receiver.verified == [True]


@pytest.mark.parametrize("status", [400, 401, 404, 410])
async def test_permanent_statuses_raise_rejected(receiver, status):
    receiver.status = status
    with pytest.raises(WebhookRejected, match=str(status)):
        await WebhookSender().send(receiver.url, receiver.secret, DOCUMENT, delivery_id="d-5")


async def test_transient_is_not_rejected():
    assert not issubclass(WebhookUnavailable, WebhookRejected)
    assert not issubclass(WebhookRejected, WebhookUnavailable)


async def test_redirect_is_rejected_not_followed(receiver):
    receiver.status = 301
    receiver.extra_headers = {"Location": "http://127.0.0.1:1/elsewhere"}
    with pytest.raises(WebhookRejected, match="receiver answered 301 .redirects are not followed.$"):
        await WebhookSender().send(receiver.url, receiver.secret, DOCUMENT, delivery_id="d-6")
    assert len(receiver.requests) == 1


async def test_receiver_that_never_answers_is_transient_within_timeout(receiver):
    receiver.status = None
    started = time.monotonic()
    with pytest.raises(WebhookUnavailable, match="no answer within 0.5s"):
        await WebhookSender(timeout=0.5).send(receiver.url, receiver.secret, DOCUMENT, delivery_id="d-7")
    assert time.monotonic() - started < 2.0
    assert receiver.verified == [True]


async def test_connection_refused_is_transient():
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    with pytest.raises(WebhookUnavailable):
        await WebhookSender(timeout=2).send(f"http://127.0.0.1:{port}/", new_secret(), DOCUMENT, delivery_id="d-8")


async def test_garbage_answer_is_transient():
    async def garbage(reader, writer):
        await reader.read(100)
        writer.write(b"SSH-2.0-OpenSSH\r\n\r\n")
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(garbage, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(WebhookUnavailable, match="^not an HTTP answer$"):
            await WebhookSender(timeout=2).send(f"http://127.0.0.1:{port}/", new_secret(), DOCUMENT, delivery_id="d-9")
    finally:
        server.close()
        await server.wait_closed()


@pytest.mark.parametrize("url", ["ftp://example.org/hook", "example.org/hook", "http:///nohost"])
async def test_unsupported_url_is_rejected(url):
    with pytest.raises(WebhookRejected, match="unsupported webhook URL"):
        await WebhookSender().send(url, new_secret(), DOCUMENT, delivery_id="d-10")


async def test_by_default_a_name_resolving_to_loopback_is_refused_without_connecting(receiver):
    url = receiver.url.replace("127.0.0.1", "localhost")
    with pytest.raises(WebhookRejected, match="^address not allowed$"):
        await WebhookSender(policy=WebhookPolicy(allow_http=True)).send(url, receiver.secret, DOCUMENT, delivery_id="a")
    assert receiver.requests == []


async def test_a_name_with_one_internal_address_among_public_ones_is_refused(monkeypatch):
    async def resolves(host, port, **kwargs):
        return [(0, 0, 0, "", ("93.184.216.34", port)), (0, 0, 0, "", ("10.1.2.3", port))]

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", resolves)
    with pytest.raises(WebhookRejected, match="^address not allowed$"):
        await WebhookSender(policy=WebhookPolicy()).send(
            "https://rebind.example.org/", new_secret(), DOCUMENT, delivery_id="b"
        )


async def test_connects_to_the_address_it_checked_and_keeps_the_name_as_host(receiver, monkeypatch):
    port = receiver.url.split(":")[2].split("/")[0]
    checked = []

    async def resolve(self, host, port):
        checked.append(host)
        return [webhook.ipaddress.ip_address("127.0.0.1")]  # what the check saw is what is connected to

    monkeypatch.setattr(webhook.WebhookSender, "_resolve", resolve)
    await WebhookSender().send(f"http://hooks.partner.test:{port}/in", receiver.secret, DOCUMENT, delivery_id="c")
    assert checked == ["hooks.partner.test"]
    assert receiver.requests[0].headers["host"] == f"hooks.partner.test:{port}"
