"""How every consumer turns one Kafka record into exactly one effect (DESIGN §5).

Per record: read the CloudEvents envelope, verify who signed it, find the model and handler for its
type, validate the body, then in one transaction claim the inbox row, run the handler and write the
outbox. The
offset is committed by FastStream only after `Processor.process` returns, so delivery is
at-least-once and effects exactly-once.

- A command that breaks a rule (`Refused`) or cannot be read is answered with a code and a
  sentence on the replies topic of the partner its `ce_source` names; nothing else changes. A
  command from no known partner is not answered (there is no topic only it could read).
- A record that can never be processed goes to `<topic>.dlq` with its reason.
- A record whose signature does not prove its sender is dead-lettered too, and an audit fact says
  so (`MessageRejected`); it never claims its `ce_id` in the inbox, so a forgery cannot stop the
  real message with that id from being processed.
- Transient failures (database or broker unreachable) are retried in place with capped
  exponential backoff, so the partition waits instead of skipping work.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog
from aiokafka.errors import KafkaError
from pydantic import ValidationError

from hubnet_common.deadletter import DeadLetters
from hubnet_common.envelope import Envelope, EnvelopeInvalid, new_traceparent, partner_of, readable
from hubnet_common.errors import FieldError, Refused
from hubnet_common.messages.audit import MessageRejected
from hubnet_common.messages.base import MESSAGE_TYPES, Command, Message
from hubnet_common.messages.replies import CommandAccepted, CommandRejected
from hubnet_common.signing import SignatureRefused
from hubnet_common.topics import PARTNERS, replies_topic
from hubnet_common.trust import Verifier
from hubnet_common.uow import UnitOfWork

log = structlog.get_logger(__name__)

Handler = Callable[[Any, Envelope, Any], Awaitable[None]]
TRANSIENT = (OSError, asyncio.TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
             asyncpg.CannotConnectNowError, asyncpg.TooManyConnectionsError,
             asyncpg.SerializationError, asyncpg.DeadlockDetectedError, KafkaError)
HANDLER_ATTEMPTS = 3  # a handler that keeps raising something unexpected is dead-lettered
# No hubnet message comes near this; a bigger body is dead-lettered unread rather than parsed.
MAX_BODY_BYTES = 256 * 1024


@dataclass(frozen=True)
class Record:
    """The parts of a Kafka record the processor needs (aiokafka's ConsumerRecord has them)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...] = ()
    timestamp: int | None = None  # milliseconds; on command topics the broker's (LogAppendTime)

    @classmethod
    def of(cls, raw: Any) -> Record:
        return cls(raw.topic, raw.partition, raw.offset, raw.key, raw.value, tuple(raw.headers or ()), raw.timestamp)

    @property
    def received_at(self) -> datetime | None:
        return datetime.fromtimestamp(self.timestamp / 1000, UTC) if self.timestamp is not None else None


@dataclass(frozen=True)
class Route:
    """One consumed topic: the handler per message model, and whether it answers commands."""

    topic: str
    handlers: Mapping[type[Message], Handler]
    answers: bool = False  # set for command topics
    # Called in the transaction that answers a command: (uow, envelope, aggregate id, "accepted" or
    # "refused", refusal code), e.g. to keep an audit of who asked what.
    on_answered: Callable[[Any, Envelope, str, str, str | None], Awaitable[None]] | None = None


class Processor:
    def __init__(
        self,
        *,
        route: Route,
        consumer_group: str,
        uow_factory: Callable[[], UnitOfWork],
        dead_letters: DeadLetters,
        verifier: Verifier,
        max_backoff: float = 30.0,
    ) -> None:
        self.route = route
        self.verifier = verifier
        self.group = consumer_group
        self.uow_factory = uow_factory
        self.dead_letters = dead_letters
        self.max_backoff = max_backoff

    async def process(self, record: Record) -> str:
        """Process one record; returns what happened (for logs and tests)."""
        structlog.contextvars.clear_contextvars()
        try:
            envelope = Envelope.from_headers(record.headers)
        except EnvelopeInvalid as exc:
            return await self._unreadable(record, None, "invalid-envelope", str(exc))
        structlog.contextvars.bind_contextvars(
            ce_id=envelope.id, ce_type=envelope.type, aggregate_id=envelope.subject, trace_id=envelope.trace_id
        )
        try:
            await self.verifier.verify(record.key, record.headers, record.value, envelope,
                                       received_at=record.received_at, command=self.route.answers)
        except SignatureRefused as refused:
            return await self._untrusted(record, envelope, refused)
        body = record.value or b""
        if len(body) > MAX_BODY_BYTES:
            return await self._unreadable(record, envelope, "too-large", f"body of {len(body)} bytes, more than {MAX_BODY_BYTES}")
        if b"\x00" in body or b"\\u0000" in body:  # PostgreSQL cannot store NUL in text or jsonb
            return await self._unreadable(record, envelope, "invalid-body", "the body contains NUL characters")
        model = MESSAGE_TYPES.get(envelope.type)
        if model is None:
            return await self._unreadable(record, envelope, "unknown-type", f"unknown ce_type {envelope.type!r}")
        handler = self.route.handlers.get(model)
        if handler is None:
            if issubclass(model, Command):
                return await self._unreadable(
                    record, envelope, "unsupported-command", f"{envelope.type} is not a command for {self.route.topic}"
                )
            return "ignored"
        try:
            message = model.model_validate_json(body)
        except ValidationError as exc:
            return await self._unreadable(record, envelope, "invalid-body", _summary(exc), _field_errors(exc))
        outcome = await self._with_retries(record, lambda: self._apply(envelope, message, handler))
        if outcome == "dead-lettered" and self.route.answers:  # do not leave the sender waiting
            failed = Refused("the command could not be processed; it is kept for the operators", code="processing-failed")
            await self._with_retries(record, lambda: self._refuse(envelope, message.subject(), failed))
        return outcome

    async def _apply(self, envelope: Envelope, message: Message, handler: Handler) -> str:
        refusal: Refused | None = None
        async with self.uow_factory() as uow:
            if not await uow.first_delivery(self.group, envelope):
                log.info("duplicate ignored")
                return "duplicate"
            try:
                await handler(message, envelope, uow)
            except Refused as exc:
                refusal = exc  # answered below, after this transaction is rolled back
            else:
                if self.route.on_answered is not None:
                    await self.route.on_answered(uow, envelope, message.subject(), "accepted", None)
                if self.route.answers:
                    _answer(uow, envelope, CommandAccepted(
                        command_id=envelope.id,
                        command_type=envelope.type,
                        recipient=envelope.source,
                        aggregate_id=message.subject(),
                    ))
                await uow.commit()
        if refusal is not None:
            return await self._refuse(envelope, message.subject(), refusal)
        log.info("processed")
        return "accepted" if self.route.answers else "processed"

    async def _refuse(self, envelope: Envelope, aggregate_id: str, refusal: Refused) -> str:
        """Answer a refused command in a fresh transaction, so nothing the handler did remains."""
        if not self.route.answers:
            raise RuntimeError(f"{self.route.topic} carries facts, which are never refused")
        async with self.uow_factory() as uow:
            if not await uow.first_delivery(self.group, envelope):
                return "duplicate"
            if self.route.on_answered is not None:
                await self.route.on_answered(uow, envelope, aggregate_id, "refused", refusal.code)
            _answer(uow, envelope, CommandRejected(
                command_id=envelope.id,
                command_type=envelope.type,
                recipient=envelope.source,
                aggregate_id=aggregate_id,
                code=refusal.code,
                reason=refusal.reason,
                errors=refusal.errors,
            ))
            await uow.commit()
        log.info("command refused", code=refusal.code, reason=refusal.reason)
        return "refused"

    async def _unreadable(
        self, record: Record, envelope: Envelope | None, code: str, reason: str, errors: list[FieldError] | None = None
    ) -> str:
        """A record that cannot be processed is dead-lettered with its reason, and a command is
        also answered with what is wrong, so its sender is not left waiting."""
        log.warning("unprocessable record", code=code, reason=reason, topic=record.topic, offset=record.offset)
        await self._with_retries(record, lambda: self.dead_letters.send(record, self.group, code, reason))
        if self.route.answers:
            envelope = envelope or _stand_in_envelope(record)
            aggregate_id = envelope.subject or readable((record.key or b"").decode("utf-8", "replace")) or envelope.id
            refusal = Refused(reason, code=code, errors=errors)
            await self._with_retries(record, lambda: self._refuse(envelope, aggregate_id, refusal))
        return "dead-lettered"

    async def _untrusted(self, record: Record, envelope: Envelope, refused: SignatureRefused) -> str:
        log.warning("untrusted record", code=refused.code, reason=refused.reason, topic=record.topic,
                    offset=record.offset, claimed_source=envelope.source)
        await self._with_retries(record, lambda: self.dead_letters.send(record, self.group, refused.code, refused.reason))
        return await self._with_retries(record, lambda: self._report_untrusted(record, envelope, refused))

    async def _report_untrusted(self, record: Record, envelope: Envelope, refused: SignatureRefused) -> str:
        """The audit fact, and for a command the answer to whoever it claims to be from; claimed in
        the inbox by the record's place in the log, never by its (unproven) ce_id."""
        position = f"{record.topic}/{record.partition}/{record.offset}"
        async with self.uow_factory() as uow:
            if not await uow.first_delivery(self.group, replace(envelope, id=f"untrusted:{position}")):
                return "dead-lettered"
            uow.emit(MessageRejected(
                topic_name=record.topic, partition=record.partition, offset=record.offset, consumer=self.group,
                code=refused.code, reason=refused.reason, claimed_source=envelope.source,
                claimed_type=envelope.type, claimed_id=envelope.id), caused_by=envelope)
            if self.route.answers:
                _answer(uow, envelope, CommandRejected(
                    command_id=envelope.id, command_type=envelope.type, recipient=envelope.source,
                    aggregate_id=envelope.subject or envelope.id, code=refused.code, reason=refused.reason))
            await uow.commit()
        return "dead-lettered"

    async def _with_retries(self, record: Record, attempt: Callable[[], Awaitable[str]]) -> str:
        delay, failures = 0.2, 0
        while True:
            try:
                return await attempt()
            except TRANSIENT as exc:
                log.warning("transient failure, retrying", error=repr(exc), retry_in=round(delay, 2))
            except Exception as exc:  # a bug or a poison message: retried a few times, then dead-lettered
                failures += 1
                log.exception("handler failed", attempt=failures)
                if failures >= HANDLER_ATTEMPTS:
                    await self._with_retries(
                        record, lambda: self.dead_letters.send(record, self.group, "handler-error", repr(exc))
                    )
                    return "dead-lettered"
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))
            delay = min(delay * 2, self.max_backoff)


def _answer(uow: UnitOfWork, command: Envelope, reply: CommandAccepted | CommandRejected) -> None:
    """Put the answer on the replies topic of the partner that sent the command, if it is one."""
    partner = partner_of(command.source)
    if partner not in PARTNERS:
        log.warning("command from no known partner left unanswered", source=command.source)
        return
    uow.emit(reply, caused_by=command, topic=replies_topic(partner).name)


def _stand_in_envelope(record: Record) -> Envelope:
    """For a command whose headers cannot be read: ids derived from its place in the log, so a
    redelivery is recognised and answered once."""
    headers = {name: readable(value.decode("utf-8", "replace")) for name, value in record.headers if value is not None}
    return Envelope(
        id=headers.get("ce_id") or f"{record.topic}/{record.partition}/{record.offset}",
        source=headers.get("ce_source", ""),
        type=headers.get("ce_type", "unknown"),
        subject=headers.get("ce_subject", ""),
        time=datetime.now(UTC),
        traceparent=headers.get("traceparent") or new_traceparent(),
    )


def _field_errors(exc: ValidationError) -> list[FieldError]:
    return [FieldError(field=".".join(str(p) for p in e["loc"]) or "(body)", problem=e["msg"]) for e in exc.errors()]


def _summary(exc: ValidationError) -> str:
    problems = "; ".join(f"{e.field}: {e.problem}" for e in _field_errors(exc))
    return f"the body does not match the schema ({problems})"
