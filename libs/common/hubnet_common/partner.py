"""The partner SDK: send commands as a partner and wait for the answer on its own replies topic.

Any Python partner system (and the `hubnet` command line) uses this: it wraps a command in the
CloudEvents envelope with the partner's `ce_source`, keys it by its aggregate id, and matches the
answer by `command_id`.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from hubnet_common.envelope import Envelope, partner_source
from hubnet_common.kafka import idempotent_producer, records_until_now
from hubnet_common.local.credentials import login
from hubnet_common.messages.base import MESSAGE_TYPES, Command, Fact
from hubnet_common.messages.replies import CommandAccepted, CommandRejected
from hubnet_common.settings import Settings
from hubnet_common.topics import DIRECTORY, on_broker, replies_topic

Reply = CommandAccepted | CommandRejected


def partner_login(partner_id: str) -> dict[str, Any]:
    """A partner's Kafka login from the HUBNET_KAFKA_* settings, or on a machine with local Kafka
    users (`make up`) its user `partner-<id>` there."""
    return login(f"partner-{partner_id}")


def _prefix(topic_prefix: str | None) -> str:
    """Topics on the broker carry the environment's prefix (HUBNET_TOPIC_PREFIX) unless given."""
    return Settings().topic_prefix if topic_prefix is None else topic_prefix


class PartnerClient:
    def __init__(self, bootstrap: str, partner_id: str, *, topic_prefix: str | None = None, **security: Any) -> None:
        """`security`: the partner's own Kafka login, e.g. `client_security(Settings(
        kafka_security_protocol="SASL_SSL", kafka_sasl_username=…, …))`; by default `partner_login`."""
        security = security or partner_login(partner_id)
        self.source = partner_source(partner_id)
        self.prefix = _prefix(topic_prefix)
        self.replies_topic = replies_topic(partner_id)
        self.producer = idempotent_producer(bootstrap, f"partner-{partner_id}", **security)
        self.replies = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, **security)
        self._waiting: dict[str, asyncio.Future[Reply]] = {}
        self._reader: asyncio.Task | None = None

    async def __aenter__(self) -> PartnerClient:
        await self.producer.start()
        await self.replies.start()
        topic = on_broker(self.replies_topic.name, self.prefix)
        partitions = [TopicPartition(topic, p) for p in range(self.replies_topic.partitions)]
        self.replies.assign(partitions)
        await self.replies.seek_to_end(*partitions)
        for tp in partitions:  # resolve the end offsets now, so no answer sent after this is missed
            await self.replies.position(tp)
        self._reader = asyncio.create_task(self._read_replies())
        return self

    async def __aexit__(self, *exc_info) -> None:
        if self._reader:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self.replies.stop()
        await self.producer.stop()

    async def send(self, command: Command, *, headers: list[tuple[str, bytes]] | None = None) -> Envelope:
        """Send a command without waiting for its answer."""
        envelope = Envelope.new(type=command.ce_type, source=self.source, subject=command.subject())
        await self.producer.send_and_wait(
            on_broker(command.topic, self.prefix),
            value=command.model_dump_json().encode(),
            key=command.subject().encode(),
            headers=headers if headers is not None else envelope.to_headers(),
        )
        return envelope

    async def request(self, command: Command, *, timeout: float = 30.0) -> Reply:
        """Send a command and wait for its answer."""
        envelope = Envelope.new(type=command.ce_type, source=self.source, subject=command.subject())
        return await self.request_raw(
            command.topic, command.model_dump_json().encode(), envelope, key=command.subject(), timeout=timeout
        )

    async def request_raw(
        self, topic: str, body: bytes, envelope: Envelope, *, key: str, timeout: float = 30.0,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> Reply:
        """Send any bytes as a command (for tools and tests) and wait for the answer to its ce_id."""
        waiter = self._waiting[envelope.id] = asyncio.get_running_loop().create_future()
        try:
            await self.producer.send_and_wait(
                on_broker(topic, self.prefix), value=body, key=key.encode(),
                headers=headers if headers is not None else envelope.to_headers(),
            )
            return await asyncio.wait_for(waiter, timeout)
        finally:
            self._waiting.pop(envelope.id, None)

    async def _read_replies(self) -> None:
        async for record in self.replies:
            envelope = Envelope.from_headers(record.headers)
            model = CommandAccepted if envelope.type == CommandAccepted.ce_type else CommandRejected
            reply = model.model_validate_json(record.value)
            waiter = self._waiting.get(reply.command_id)
            if waiter and not waiter.done():
                waiter.set_result(reply)


async def read_directory(bootstrap: str, timeout: float = 10.0, *, topic_prefix: str | None = None,
                         **security: Any) -> dict[str, Fact]:
    """The current directory from the log-compacted directory.v1: the latest entry per key
    (`partner:<id>`, `hub:<id>`, `service:<id>`)."""
    topic = on_broker(DIRECTORY.name, _prefix(topic_prefix))
    records = await records_until_now(bootstrap, [TopicPartition(topic, p) for p in range(DIRECTORY.partitions)],
                                      timeout=timeout, **security)
    entries: dict[str, Fact] = {}
    for record in records:
        model = MESSAGE_TYPES.get(Envelope.from_headers(record.headers).type)
        if model is not None and record.key:
            entries[record.key.decode()] = model.model_validate_json(record.value)
    return entries


async def public_key_of(bootstrap: str, partner_id: str, *, topic_prefix: str | None = None,
                        **security: Any) -> str:
    """The X25519 key contact details for `partner_id` are sealed to, from the directory."""
    entry = (await read_directory(bootstrap, topic_prefix=topic_prefix, **security)).get(f"partner:{partner_id}")
    key = getattr(entry, "encryption_public_key", None)
    if not key:
        raise LookupError(f"{partner_id} has published no encryption key in the directory")
    return key
