"""How every consumer turns Kafka records into exactly one effect each
(docs/adr/0002-own-batch-processor.md, docs/adr/0003-savepoint-replay.md).

Records come in batches (what one poll of the consumer returns). Each record's envelope is read,
its signature verified, its model and handler found and its body validated; then the whole batch
is applied in one transaction: per record the inbox row, the handler's changes and the outbox
rows. FastStream commits the batch's offsets only after `Processor.process_batch` returns, so
delivery is at-least-once and effects exactly-once.

- A command that breaks a rule (`Refused`) or cannot be read is answered with a code and a
  sentence on the replies topic of the partner its `ce_source` names; nothing else changes. A
  command from no known partner is not answered (there is no topic only it could read), nor is
  one from a removed partner (nobody reads its topic any more).
- A command from a partner the directory says is suspended or removed is refused
  (`partner-suspended`, `partner-removed`) before any handler sees it, whatever key signed it
  (docs/adr/0015-onboarding-as-data.md).
- A record that can never be processed goes to `<topic>.dlq` with its reason.
- A record whose signature does not prove its sender is dead-lettered too, and an audit fact says
  so (`MessageRejected`); it never claims its `ce_id` in the inbox, so a forgery cannot stop the
  real message with that id from being processed.
- One record's refusal or failure undoes only that record: the batch is first applied without
  savepoints (the common case costs no extra round trips); when a handler refuses or fails, that
  attempt is rolled back and the batch applied again with a savepoint around every handler.
- Transient failures (database or broker unreachable) are retried in place with capped
  exponential backoff, so the partition waits instead of skipping work.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog
from aiokafka.errors import KafkaError
from pydantic import ValidationError

from hubnet_common.sdk.envelope import Envelope, EnvelopeInvalid, new_traceparent, readable
from hubnet_common.sdk.errors import FieldError, Refused
from hubnet_common.sdk.identity import partner_of
from hubnet_common.sdk.messages.audit import MessageRejected
from hubnet_common.sdk.messages.base import MESSAGE_TYPES, Command, Message
from hubnet_common.sdk.messages.replies import CommandAccepted, CommandRejected
from hubnet_common.sdk.signing import PublicSigningKey, SignatureRefused
from hubnet_common.sdk.topics import replies_topic
from hubnet_common.sdk.trust import Claim, Verifier
from hubnet_common.service.deadletter import DeadLetters
from hubnet_common.service.uow import UnitOfWork

log = structlog.get_logger(__name__)
RECORD_KEYS = ("ce_id", "ce_type", "aggregate_id", "trace_id")

# A handler may return what the accepted answer adds for its sender (CommandAccepted's optional
# fields: the participant_ref the referrals service computed, a webhook's sealed secret); None for nothing.
Handler = Callable[[Any, Envelope, Any], Awaitable[Mapping[str, str] | None]]
TRANSIENT = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.SerializationError,
    asyncpg.DeadlockDetectedError,
    KafkaError,
)
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

    @property
    def position(self) -> str:
        return f"{self.topic}/{self.partition}/{self.offset}"


@dataclass(frozen=True)
class Route:
    """One consumed topic: the handler per message model, and whether it answers commands."""

    topic: str
    handlers: Mapping[type[Message], Handler]
    answers: bool = False  # set for command topics
    # Called in the transaction that answers a command: (uow, envelope, aggregate id, "accepted" or
    # "refused", refusal code), e.g. to keep an audit of who asked what.
    on_answered: Callable[[Any, Envelope, str, str, str | None], Awaitable[None]] | None = None


@dataclass(frozen=True)
class Ready:
    """A record that proved its sender and parsed: to be handled."""

    record: Record
    envelope: Envelope
    message: Message
    handler: Handler


@dataclass(frozen=True)
class Unfit:
    """A record that is dead-lettered unhandled (or skipped, when `code` is None)."""

    record: Record
    envelope: Envelope | None
    code: str | None
    reason: str = ""
    errors: list[FieldError] | None = None
    untrusted: bool = False


class _Uneven(Exception):
    """A handler refused or failed while the batch was applied without savepoints."""


class _GaveUp(Exception):
    """A batch kept failing in a way no single handler explains."""


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
        [outcome] = await self.process_batch([record])
        return outcome

    async def process_batch(self, records: Sequence[Record]) -> list[str]:
        """Process records in their order; returns what happened to each."""
        items = await self._read_all(records)
        for item in items:
            if isinstance(item, Unfit) and item.code is not None:
                if not item.untrusted:
                    self._bind(item.envelope)
                    log.warning(
                        "unprocessable record",
                        code=item.code,
                        reason=item.reason,
                        topic=item.record.topic,
                        offset=item.record.offset,
                    )
                await self._dead_letter(item.record, item.code, item.reason)
        try:
            return await self._with_retries(lambda: self._apply(items), give_up=None)
        except _GaveUp:  # something no single handler explains keeps failing: one record at a time
            return [outcome for item in items for outcome in await self._apply_alone(item)]
        finally:
            self._bind(None)

    async def _apply_alone(self, item: Ready | Unfit) -> list[str]:
        async def dead_letter(exc: Exception) -> list[str]:
            await self._dead_letter(item.record, "handler-error", repr(exc))
            return ["dead-lettered"]

        return await self._with_retries(lambda: self._apply([item]), give_up=dead_letter)

    async def _read_all(self, records: Sequence[Record]) -> list[Ready | Unfit]:
        """Everything that can be decided about the records before the database is asked."""
        envelopes: list[Envelope | Unfit] = []
        for record in records:
            try:
                envelopes.append(Envelope.from_headers(record.headers))
            except EnvelopeInvalid as exc:
                envelopes.append(Unfit(record, None, "invalid-envelope", str(exc)))
        claims = [
            Claim(record.key, record.headers, record.value, envelope, record.received_at)
            for record, envelope in zip(records, envelopes, strict=True)
            if isinstance(envelope, Envelope)
        ]
        verdicts = iter(await self.verifier.verify_all(claims, command=self.route.answers, topic=self.route.topic))
        return [
            self._read(record, envelope, next(verdicts)) if isinstance(envelope, Envelope) else envelope
            for record, envelope in zip(records, envelopes, strict=True)
        ]

    def _read(self, record: Record, envelope: Envelope, sender: PublicSigningKey | SignatureRefused) -> Ready | Unfit:
        if isinstance(sender, SignatureRefused):
            self._bind(envelope)
            log.warning(
                "untrusted record",
                code=sender.code,
                reason=sender.reason,
                topic=record.topic,
                offset=record.offset,
                claimed_source=envelope.source,
            )
            return Unfit(record, envelope, sender.code, sender.reason, untrusted=True)
        body = record.value or b""
        if len(body) > MAX_BODY_BYTES:
            return Unfit(record, envelope, "too-large", f"body of {len(body)} bytes, more than {MAX_BODY_BYTES}")
        if b"\x00" in body or b"\\u0000" in body:  # PostgreSQL cannot store NUL in text or jsonb
            return Unfit(record, envelope, "invalid-body", "the body contains NUL characters")
        model = MESSAGE_TYPES.get(envelope.type)
        if model is None:
            return Unfit(record, envelope, "unknown-type", f"unknown ce_type {envelope.type!r}")
        handler = self.route.handlers.get(model)
        if handler is None:
            if issubclass(model, Command):
                return Unfit(
                    record, envelope, "unsupported-command", f"{envelope.type} is not a command for {self.route.topic}"
                )
            return Unfit(record, envelope, None)
        try:
            message = model.model_validate_json(body)
        except ValidationError as exc:
            return Unfit(record, envelope, "invalid-body", _summary(exc), _field_errors(exc))
        return Ready(record, envelope, message, handler)

    async def _apply(self, items: Sequence[Ready | Unfit]) -> list[str]:
        try:
            return await self._in_one_transaction(items, careful=False)
        except _Uneven:
            return await self._in_one_transaction(items, careful=True)

    async def _in_one_transaction(self, items: Sequence[Ready | Unfit], *, careful: bool) -> list[str]:
        async with self.uow_factory() as uow:
            if self.route.answers:  # who may be answered, and whose commands count
                await uow.learn_standings(p for i in items if (p := partner_of(_claimed_source(i))))
            # The batch's inbox rows in one statement; an id twice in the batch is handled once.
            first = await uow.first_deliveries(self.group, [i.envelope for i in items if isinstance(i, Ready)])
            outcomes = []
            for item in items:
                self._bind(item.envelope)
                if isinstance(item, Unfit):
                    outcomes.append(await self._answer_unfit(uow, item))
                elif item.envelope.id not in first:
                    log.info("duplicate ignored")
                    outcomes.append("duplicate")
                elif self.route.answers and (refusal := _standing_refusal(uow, item.envelope)):
                    first.discard(item.envelope.id)
                    outcomes.append(await self._refused(uow, item.envelope, item.message.subject(), refusal))
                else:
                    first.discard(item.envelope.id)
                    handle = self._handle_carefully if careful else self._handle
                    outcomes.append(await handle(uow, item))
            await uow.commit()
        return outcomes

    async def _handle(self, uow: UnitOfWork, item: Ready) -> str:
        try:
            added = await item.handler(item.message, item.envelope, uow)
        except TRANSIENT:
            raise
        except Exception as exc:  # a refusal or a failure: the batch again, with savepoints
            raise _Uneven() from exc
        return await self._accepted(uow, item, added)

    async def _handle_carefully(self, uow: UnitOfWork, item: Ready) -> str:
        """The handler in a savepoint: a refusal or a failure undoes only this record."""
        failure: Exception | None = None
        for attempt in range(1, HANDLER_ATTEMPTS + 1):
            try:
                async with uow.savepoint():
                    added = await item.handler(item.message, item.envelope, uow)
            except TRANSIENT:
                raise
            except Exception as exc:
                if isinstance(exc, Refused) and self.route.answers:
                    return await self._refused(uow, item.envelope, item.message.subject(), exc)
                # a bug or a poison message (facts are never refused): tried a few times, then dead-lettered
                log.exception("handler failed", attempt=attempt)
                failure = exc
            else:
                return await self._accepted(uow, item, added)
        await self._dead_letter(item.record, "handler-error", repr(failure))
        if self.route.answers:  # do not leave the sender waiting
            await self._refused(
                uow,
                item.envelope,
                item.message.subject(),
                Refused("the command could not be processed; it is kept for the operators", code="processing-failed"),
            )
        return "dead-lettered"

    async def _accepted(self, uow: UnitOfWork, item: Ready, added: Mapping[str, str] | None = None) -> str:
        if self.route.on_answered is not None:
            await self.route.on_answered(uow, item.envelope, item.message.subject(), "accepted", None)
        if self.route.answers:
            _answer(
                uow,
                item.envelope,
                CommandAccepted(
                    command_id=item.envelope.id,
                    command_type=item.envelope.type,
                    recipient=item.envelope.source,
                    aggregate_id=item.message.subject(),
                    **(added or {}),
                ),
            )
        log.info("processed")
        return "accepted" if self.route.answers else "processed"

    async def _refused(self, uow: UnitOfWork, envelope: Envelope, aggregate_id: str, refusal: Refused) -> str:
        if self.route.on_answered is not None:
            await self.route.on_answered(uow, envelope, aggregate_id, "refused", refusal.code)
        _answer(
            uow,
            envelope,
            CommandRejected(
                command_id=envelope.id,
                command_type=envelope.type,
                recipient=envelope.source,
                aggregate_id=aggregate_id,
                code=refusal.code,
                reason=refusal.reason,
                errors=refusal.errors,
            ),
        )
        log.info("command refused", code=refusal.code, reason=refusal.reason)
        return "refused"

    async def _answer_unfit(self, uow: UnitOfWork, item: Unfit) -> str:
        """A dead-lettered command is answered with what is wrong, so its sender is not left
        waiting; an untrusted record is audited too, and claimed in the inbox by its place in
        the log, never by its (unproven) ce_id."""
        if item.code is None:
            return "ignored"
        if item.untrusted and (envelope := item.envelope) is not None:  # untrusted: it had one to doubt
            if not await uow.first_delivery(self.group, replace(envelope, id=f"untrusted:{item.record.position}")):
                return "dead-lettered"
            uow.emit(
                MessageRejected(
                    topic_name=item.record.topic,
                    partition=item.record.partition,
                    offset=item.record.offset,
                    consumer=self.group,
                    code=item.code,
                    reason=item.reason,
                    claimed_source=envelope.source,
                    claimed_type=envelope.type,
                    claimed_id=envelope.id,
                ),
                caused_by=envelope,
            )
            if self.route.answers:
                _answer(
                    uow,
                    envelope,
                    CommandRejected(
                        command_id=envelope.id,
                        command_type=envelope.type,
                        recipient=envelope.source,
                        aggregate_id=envelope.subject or envelope.id,
                        code=item.code,
                        reason=item.reason,
                    ),
                )
        elif self.route.answers:
            envelope = item.envelope or _stand_in_envelope(item.record)
            if await uow.first_delivery(self.group, envelope):
                aggregate_id = (
                    envelope.subject or readable((item.record.key or b"").decode("utf-8", "replace")) or envelope.id
                )
                await self._refused(
                    uow, envelope, aggregate_id, Refused(item.reason, code=item.code, errors=item.errors)
                )
        return "dead-lettered"

    async def _dead_letter(self, record: Record, code: str, reason: str) -> None:
        async def give_up(exc: Exception) -> None:
            log.error("dead letter not sent", code=code, error=repr(exc))

        await self._with_retries(lambda: self.dead_letters.send(record, self.group, code, reason), give_up=give_up)

    def _bind(self, envelope: Envelope | None) -> None:
        """The record's ids on every line logged while it is read or handled. Only these keys are
        set and unset: clearing the whole context walks every variable in it, once per record."""
        if envelope is None:
            structlog.contextvars.unbind_contextvars(*RECORD_KEYS)
        else:
            structlog.contextvars.bind_contextvars(
                ce_id=envelope.id, ce_type=envelope.type, aggregate_id=envelope.subject, trace_id=envelope.trace_id
            )

    async def _with_retries(
        self, attempt: Callable[[], Awaitable[Any]], give_up: Callable[[Exception], Awaitable[Any]] | None
    ) -> Any:
        """Transient failures are retried with capped backoff for as long as they last; anything
        else HANDLER_ATTEMPTS times, then `give_up` decides (None: raise `_GaveUp`)."""
        delay, failures = 0.2, 0
        while True:
            try:
                return await attempt()
            except TRANSIENT as exc:
                log.warning("transient failure, retrying", error=repr(exc), retry_in=round(delay, 2))
            except Exception as exc:
                failures += 1
                log.exception("processing failed", attempt=failures)
                if failures >= HANDLER_ATTEMPTS:
                    if give_up is None:
                        raise _GaveUp() from exc
                    return await give_up(exc)
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))
            delay = min(delay * 2, self.max_backoff)


class PartnerSuspended(Refused):
    code = "partner-suspended"


class PartnerRemoved(Refused):
    code = "partner-removed"


def _standing_refusal(uow: UnitOfWork, command: Envelope) -> Refused | None:
    """The refusal of a command whose sender the directory says is suspended or removed."""
    partner = partner_of(command.source)
    standing = uow.standings.get(partner) if partner else None
    if standing == "suspended":
        return PartnerSuspended(
            f"{partner} is suspended from the network: its commands are refused until it is resumed"
        )
    if standing == "removed":
        return PartnerRemoved(f"{partner} was removed from the network")
    return None


def _answer(uow: UnitOfWork, command: Envelope, reply: CommandAccepted | CommandRejected) -> None:
    """Put the answer on the replies topic of the partner that sent the command, if the directory
    knows it and it has not been removed (only then is there a topic that only it reads)."""
    partner = partner_of(command.source)
    if partner is None or uow.standings.get(partner) not in ("active", "suspended"):
        log.warning("command from no known partner left unanswered", source=command.source)
        return
    uow.emit(reply, caused_by=command, topic=replies_topic(partner).name)


def _claimed_source(item: Ready | Unfit) -> str:
    return (item.envelope or _stand_in_envelope(item.record)).source


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
