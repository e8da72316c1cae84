"""A real HTTP receiver for webhooks on 127.0.0.1 that verifies signatures as a partner system would."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from hubnet_common.sdk.keys import read_key
from hubnet_common.sdk.messages.notification_commands import RegisterWebhook
from hubnet_common.sdk.partner import PartnerClient
from hubnet_common.sdk.sealing import SealingError
from hubnet_common.sdk.webhook_signature import SignatureInvalid, new_secret, open_secret, verify
from hubnet_common.service.settings import Settings
from hubnet_referrals.adapters.seed import read_network
from tests.integration.conftest import enrol, eventually
from tests.integration.referral_steps import accepted


@dataclass
class Request:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A tiny HTTP/1.1 server: records each request and answers `status` (None: never answers)."""

    secret: str
    status: int | None = 204
    extra_headers: dict[str, str] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    verified: list[bool] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            method, target, _ = (await reader.readuntil(b"\r\n")).decode("latin-1").split(" ", 2)
            headers = {}
            while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.requests.append(Request(method, target, headers, body))
            try:  # what a partner system does with the raw body and its endpoint secret
                verify(body, headers.get("hubnet-signature", ""), self.secret)
                self.verified.append(True)
            except SignatureInvalid:
                self.verified.append(False)
            if self.status is None:
                await self.release.wait()
                return
            extra = "".join(f"{k}: {v}\r\n" for k, v in self.extra_headers.items())
            writer.write(
                f"HTTP/1.1 {self.status} Whatever\r\n{extra}Content-Length: 2\r\nConnection: close\r\n\r\nok".encode()
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def register(client: PartnerClient, partner_id: str, receiver: Receiver, webhook_id: str, kinds: list[str]):
    """Register `receiver` as the partner's webhook, and give it the secret the service made, as
    the partner opens it with its X25519 key (hubnet_common.sdk.webhook_signature.open_secret).
    Its directory entry is published again first, as the referrals service first published it:
    the directory topic is shared by the session and other tests give partners keys of their own.
    The registration is repeated until the service's directory copy has that entry."""
    keys_dir = Settings().keys_dir
    private = read_key(keys_dir / f"partner-{partner_id}.x25519.key")
    [seeded] = [p for p in read_network()[0] if p.id == partner_id]
    await enrol(Settings().kafka_bootstrap, partner_id, seeded.name, keys_dir)
    command = RegisterWebhook(webhook_id=webhook_id, url=receiver.url, kinds=kinds)

    async def registered():
        answer = await client.request(command)
        if getattr(answer, "code", None) == "no-encryption-key":
            return None
        accepted(answer)
        try:
            return answer, open_secret(answer.sealed_secret, private)
        except SealingError:  # sealed to the key the copy had before
            return None

    answer, receiver.secret = await eventually(registered, 30, every=0.5, what=f"{partner_id}'s key in the copy")
    return answer


@contextlib.asynccontextmanager
async def receiving(status: int | None = 204):
    """A started receiver with a fresh secret; its `url` takes the POSTs."""
    rec = Receiver(secret=new_secret(), status=status)
    server = await asyncio.start_server(rec.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    rec.url = f"http://127.0.0.1:{port}/hooks/hubnet?tenant=brg"
    try:
        yield rec
    finally:
        rec.release.set()
        server.close()
        await server.wait_closed()
