"""The partner SDK: send commands as a partner and wait for the answer on its own replies topic.

Any Python partner system (and the `hubnet` command line) uses this: it wraps a command in the
CloudEvents envelope with the partner's `ce_source`, keys it by its aggregate id, signs it with the
partner's Ed25519 key (docs/adr/0005-signed-form.md) and matches the answer by `command_id`.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import ValidationError

from hubnet_common.envelope import Envelope, EnvelopeInvalid, partner_source
from hubnet_common.kafka import idempotent_producer, records_until_now
from hubnet_common.local.credentials import login
from hubnet_common.signing import SignatureRefused, Signer, own_signer
from hubnet_common.messages.base import MESSAGE_TYPES, Command, Fact
from hubnet_common.messages.replies import CommandAccepted, CommandRejected
from hubnet_common.settings import Settings
from hubnet_common.topics import DIRECTORY, on_broker, replies_topic
from hubnet_common.trust import StaticKeyRing, Verifier, trusted_service_keys

log = structlog.get_logger(__name__)
Reply = CommandAccepted | CommandRejected


def partner_login(partner_id: str) -> dict[str, Any]:
    """A partner's Kafka login from the HUBNET_KAFKA_* settings, or on a machine with local Kafka
    users (`make up`) its user `partner-<id>` there."""
    return login(f"partner-{partner_id}")


def _prefix(topic_prefix: str | None) -> str:
    """Topics on the broker carry the environment's prefix (HUBNET_TOPIC_PREFIX) unless given."""
    return Settings().topic_prefix if topic_prefix is None else topic_prefix


def partner_signer(partner_id: str, settings: Settings | None = None) -> Signer:
    settings = settings or Settings()
    return own_signer(f"partner-{partner_id}", settings.signing_key_file, settings.keys_dir)


def trusted_answers(settings: Settings | None = None) -> Verifier:
    """Answers count only when signed by a hubnet service whose public key the partner holds."""
    keys = trusted_service_keys((settings or Settings()).keys_dir)
    if not keys:
        raise LookupError("no hubnet service public keys to check answers with: set HUBNET_KEYS_DIR to a directory "
                          "with service-<name>.ed25519.pub files")
    return Verifier(StaticKeyRing(keys), unknown_key_grace=0)


class PartnerClient:
    def __init__(self, bootstrap: str, partner_id: str, *, topic_prefix: str | None = None,
                 signer: Signer | None = None, answers: Verifier | None = None, **security: Any) -> None:
        """`signer`: the partner's signing key (default: `partner_signer`); `answers`: how answers
        are checked (default: `trusted_answers`). `security`: the partner's own Kafka login, e.g.
        `client_security(Settings(kafka_security_protocol="SASL_SSL", kafka_sasl_username=…, …))`;
        by default `partner_login`."""
        security = security or partner_login(partner_id)
        self.source = partner_source(partner_id)
        self.signer = signer or partner_signer(partner_id)
        self.answers = answers or trusted_answers()
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
        """Send a command without waiting for its answer (with these headers, e.g. to send one
        command twice: they are signed like any)."""
        envelope = Envelope.new(type=command.ce_type, source=self.source, subject=command.subject())
        await self.send_raw(command.topic, command.model_dump_json().encode(), key=command.subject(),
                            headers=headers if headers is not None else envelope.to_headers())
        return envelope

    async def send_raw(self, topic: str, body: bytes, *, key: str, headers: list[tuple[str, bytes]],
                       sign: bool = True) -> None:
        """Send any bytes with any headers (for tools and tests), signed unless `sign` is False."""
        key_bytes = key.encode()
        await self.producer.send_and_wait(
            on_broker(topic, self.prefix), value=body, key=key_bytes,
            headers=self.signer.sign(key_bytes, headers, body) if sign else headers,
        )

    async def request(self, command: Command, *, timeout: float = 30.0) -> Reply:
        """Send a command and wait for its answer."""
        envelope = Envelope.new(type=command.ce_type, source=self.source, subject=command.subject())
        return await self.request_raw(
            command.topic, command.model_dump_json().encode(), envelope, key=command.subject(), timeout=timeout
        )

    async def request_raw(
        self, topic: str, body: bytes, envelope: Envelope, *, key: str, timeout: float = 30.0,
        headers: list[tuple[str, bytes]] | None = None, sign: bool = True,
    ) -> Reply:
        """Send any bytes as a command (for tools and tests) and wait for the answer to its ce_id."""
        waiter = self._waiting[envelope.id] = asyncio.get_running_loop().create_future()
        try:
            await self.send_raw(topic, body, key=key, headers=headers if headers is not None else envelope.to_headers(),
                                sign=sign)
            return await asyncio.wait_for(waiter, timeout)
        finally:
            self._waiting.pop(envelope.id, None)

    async def _read_replies(self) -> None:
        async for record in self.replies:
            if not self._waiting:  # nobody waits for an answer (commands sent with `send`): nothing to check
                continue
            try:
                reply = await self._trusted_reply(record)
            except (EnvelopeInvalid, SignatureRefused, ValidationError) as exc:
                log.warning("an answer that is not from a hubnet service was ignored", error=str(exc),
                            topic=record.topic, offset=record.offset)
                continue
            waiter = self._waiting.get(reply.command_id)
            if waiter and not waiter.done():
                waiter.set_result(reply)

    async def _trusted_reply(self, record) -> Reply:
        envelope = Envelope.from_headers(record.headers)
        await self.answers.verify(record.key, record.headers, record.value, envelope, received_at=None, command=False)
        model = CommandAccepted if envelope.type == CommandAccepted.ce_type else CommandRejected
        return model.model_validate_json(record.value)


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
