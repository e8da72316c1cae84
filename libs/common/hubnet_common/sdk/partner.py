"""The partner SDK: send commands as a partner and wait for the answer on its own replies topic.

Any Python partner system (and the `hubnet` command line) uses this: it wraps a command in the
CloudEvents envelope with the partner's `ce_source`, keys it by its aggregate id, signs it with the
partner's Ed25519 key (docs/adr/0005-signed-form.md) and matches the answer by `command_id`.

Its configuration is explicit: the partner's Kafka login (`security`), its signing key (`signer`,
e.g. `own_signer("partner-<id>", key_file, None)`) and the hubnet service keys its answers are
checked against (`answers`, e.g. `answers_verifier(keys_dir)`). It reads no settings and no local
files of its own; `hubnet_common.ops.local.partners.LocalPartnerClient` fills them in from the
local stack (`make up`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any, Self

from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import ValidationError

from hubnet_common.sdk.envelope import Envelope, EnvelopeInvalid
from hubnet_common.sdk.identity import partner_source
from hubnet_common.sdk.kafka import idempotent_producer, records_until_now
from hubnet_common.sdk.messages.base import MESSAGE_TYPES, Command, Fact
from hubnet_common.sdk.messages.directory import HubUpserted, PartnerUpserted, ServiceUpserted
from hubnet_common.sdk.messages.replies import CommandAccepted, CommandRejected
from hubnet_common.sdk.signing import SignatureRefused, Signer
from hubnet_common.sdk.topics import DIRECTORY, on_broker, replies_topic
from hubnet_common.sdk.trust import StaticKeyRing, Verifier, trusted_service_keys

log = logging.getLogger(__name__)
Reply = CommandAccepted | CommandRejected
DIRECTORY_ENTRIES = (PartnerUpserted, HubUpserted, ServiceUpserted)


def answers_verifier(keys_dir: Path) -> Verifier:
    """Answers count only when signed by a hubnet service whose public key the partner holds
    (`service-<name>.ed25519.pub` files in `keys_dir`)."""
    keys = trusted_service_keys(keys_dir)
    if not keys:
        raise LookupError(
            f"no hubnet service public keys to check answers with in {keys_dir}: it needs "
            "service-<name>.ed25519.pub files"
        )
    return Verifier(StaticKeyRing(keys), unknown_key_grace=0)


class PartnerClient:
    def __init__(
        self,
        bootstrap: str,
        partner_id: str,
        *,
        signer: Signer,
        answers: Verifier,
        topic_prefix: str = "",
        **security: Any,
    ) -> None:
        """`signer`: the partner's signing key; `answers`: how answers are checked (`answers_verifier`);
        `topic_prefix`: put before every topic name on the broker (an environment's, usually none);
        `security`: the partner's own Kafka login, aiokafka's arguments, e.g. `security_protocol=
        "SASL_SSL", sasl_mechanism="SCRAM-SHA-512", sasl_plain_username=…, sasl_plain_password=…`."""
        self.source = partner_source(partner_id)
        self.signer = signer
        self.answers = answers
        self.prefix = topic_prefix
        self.replies_topic = replies_topic(partner_id)
        self.producer = idempotent_producer(bootstrap, f"partner-{partner_id}", **security)
        self.replies = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, **security)
        self._waiting: dict[str, asyncio.Future[Reply]] = {}
        self._reader: asyncio.Task | None = None

    async def __aenter__(self) -> Self:
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
        await self.send_raw(
            command.topic,
            command.model_dump_json().encode(),
            key=command.subject(),
            headers=headers if headers is not None else envelope.to_headers(),
        )
        return envelope

    async def send_raw(
        self, topic: str, body: bytes, *, key: str, headers: list[tuple[str, bytes]], sign: bool = True
    ) -> None:
        """Send any bytes with any headers (for tools and tests), signed unless `sign` is False."""
        key_bytes = key.encode()
        await self.producer.send_and_wait(
            on_broker(topic, self.prefix),
            value=body,
            key=key_bytes,
            headers=self.signer.sign(topic, key_bytes, headers, body) if sign else headers,
        )

    async def request(self, command: Command, *, timeout: float = 30.0) -> Reply:
        """Send a command and wait for its answer."""
        envelope = Envelope.new(type=command.ce_type, source=self.source, subject=command.subject())
        return await self.request_raw(
            command.topic, command.model_dump_json().encode(), envelope, key=command.subject(), timeout=timeout
        )

    async def request_raw(
        self,
        topic: str,
        body: bytes,
        envelope: Envelope,
        *,
        key: str,
        timeout: float = 30.0,
        headers: list[tuple[str, bytes]] | None = None,
        sign: bool = True,
    ) -> Reply:
        """Send any bytes as a command (for tools and tests) and wait for the answer to its ce_id."""
        waiter = self._waiting[envelope.id] = asyncio.get_running_loop().create_future()
        try:
            await self.send_raw(
                topic, body, key=key, headers=headers if headers is not None else envelope.to_headers(), sign=sign
            )
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
                log.warning(
                    "an answer that is not from a hubnet service was ignored: %s (%s at %s)",
                    exc,
                    record.topic,
                    record.offset,
                )
                continue
            waiter = self._waiting.get(reply.command_id)
            if waiter and not waiter.done():
                waiter.set_result(reply)

    async def _trusted_reply(self, record) -> Reply:
        envelope = Envelope.from_headers(record.headers)
        await self.answers.verify(
            record.key,
            record.headers,
            record.value,
            envelope,
            received_at=None,
            command=False,
            topic=self.replies_topic.name,
        )
        model = CommandAccepted if envelope.type == CommandAccepted.ce_type else CommandRejected
        return model.model_validate_json(record.value)


async def read_directory(
    bootstrap: str, timeout: float = 10.0, *, verifier: Verifier, topic_prefix: str = "", **security: Any
) -> dict[str, Fact]:
    """The current directory from the log-compacted directory.v1: the latest entry per key
    (`partner:<id>`, `hub:<id>`, `service:<id>`) that `verifier` proves the referrals service signed
    for directory.v1, as every service checks it (`answers_verifier(keys_dir)`: the hubnet service
    keys). Anything else on the topic is left out with a warning: whoever may write the topic
    could otherwise swap a partner's encryption key for their own."""
    topic = on_broker(DIRECTORY.name, topic_prefix)
    records = await records_until_now(
        bootstrap, [TopicPartition(topic, p) for p in range(DIRECTORY.partitions)], timeout=timeout, **security
    )
    entries: dict[str, Fact] = {}
    for record in records:
        try:
            entry = await _directory_entry(record, verifier)
        except (EnvelopeInvalid, SignatureRefused, ValidationError) as exc:
            log.warning(
                "a directory entry not signed by the directory was left out: %s (offset %s)", exc, record.offset
            )
            continue
        if entry is not None:
            entries[record.key.decode()] = entry
    return entries


async def _directory_entry(record, verifier: Verifier) -> Fact | None:
    envelope = Envelope.from_headers(record.headers)
    await verifier.verify(
        record.key, record.headers, record.value, envelope, received_at=None, command=False, topic=DIRECTORY.name
    )
    model = MESSAGE_TYPES.get(envelope.type)
    if model not in DIRECTORY_ENTRIES or not record.key:
        return None
    return model.model_validate_json(record.value)
