"""Unit of work: one PostgreSQL transaction holding a state change, its inbox row and the
messages it announces (docs/adr/0004-single-outbox-relay.md). Handlers only see this interface;
tests use `FakeUnitOfWork`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Self, cast

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.messages.base import Message
from hubnet_common.service.outbox import CHANNEL as OUTBOX_CHANNEL
from hubnet_common.service.trust import partner_standings


@dataclass(frozen=True)
class Outgoing:
    topic: str
    envelope: Envelope
    body: bytes

    @property
    def key(self) -> str:
        return self.envelope.subject

    @classmethod
    def of(cls, message: Message, *, source: str, caused_by: Envelope | None, topic: str | None = None) -> Outgoing:
        envelope = Envelope.new(type=message.ce_type, source=source, subject=message.subject(), caused_by=caused_by)
        return cls(topic or message.topic, envelope, message.model_dump_json().encode())


def outbox_row(o: Outgoing) -> tuple[str, str, str, str, bytes]:
    """The outbox columns (id, topic, key, headers as JSON, body) of one outgoing message."""
    return o.envelope.id, o.topic, o.key, json.dumps([[n, v.decode()] for n, v in o.envelope.to_headers()]), o.body


class UnitOfWork:
    """What every service's unit of work offers; services add their repositories."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.pending: list[Outgoing] = []
        # The standing (active, suspended, removed) of the partners whose commands this unit of
        # work answers, as `learn_standings` found it; a partner not in it is not known.
        self.standings: dict[str, str] = {}

    @property
    def source(self) -> str:
        return f"urn:hubnet:service:{self.service}"

    def emit(self, message: Message, *, caused_by: Envelope | None, topic: str | None = None) -> Envelope:
        """Queue a message for the outbox; it is written when the unit of work commits."""
        outgoing = Outgoing.of(message, source=self.source, caused_by=caused_by, topic=topic)
        self.pending.append(outgoing)
        return outgoing.envelope

    async def first_delivery(self, consumer_group: str, envelope: Envelope) -> bool:
        """Record the message in the inbox; False when this group has already processed it."""
        raise NotImplementedError

    async def first_deliveries(self, consumer_group: str, envelopes: list[Envelope]) -> set[str]:
        """Record the messages in the inbox; the ids this group has not processed before."""
        return {envelope.id for envelope in envelopes if await self.first_delivery(consumer_group, envelope)}

    def savepoint(self) -> AbstractAsyncContextManager[None]:
        """An async context in which a failure undoes only what was done inside it."""
        raise NotImplementedError

    async def learn_standings(self, partner_ids: Iterable[str]) -> None:
        """Find what the directory says of these partners' standing (`standings`)."""
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        raise NotImplementedError

    async def __aexit__(self, *exc_info: object) -> None:
        raise NotImplementedError

    async def commit(self) -> None:
        raise NotImplementedError


# The batch's messages in one statement, in the order they were emitted (`seq` is the relay's
# order), and the NOTIFYs of the transaction with them.
OUTBOX_WRITE = (
    "WITH written AS (INSERT INTO outbox (id, topic, key, headers, body)"
    " SELECT id, topic, key, headers, body"
    " FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[], $5::bytea[])"
    " WITH ORDINALITY AS m(id, topic, key, headers, body, n) ORDER BY n RETURNING 1)"
    " SELECT pg_notify(c, '') FROM unnest($6::text[]) AS c"
)


class PgUnitOfWork(UnitOfWork):
    def __init__(self, service: str, pool: asyncpg.Pool) -> None:
        super().__init__(service)
        self._pool = pool
        self._wake: set[str] = set()
        self.conn: asyncpg.Connection
        self._lent: PoolConnectionProxy
        self._tx: asyncpg.transaction.Transaction | None = None

    async def __aenter__(self) -> Self:
        self._lent = await self._pool.acquire()
        # The pool's proxy forwards every Connection call; repositories take it as one.
        self.conn = cast(asyncpg.Connection, self._lent)
        try:
            self._tx = self.conn.transaction()
            await self._tx.start()
        except BaseException:  # e.g. the database went away: __aexit__ will not run, so give it back here
            await self._pool.release(self._lent)
            raise
        self.open_repositories()
        return self

    def open_repositories(self) -> None:
        """Services make their repositories on `self.conn` here. It runs again after a savepoint
        is rolled back, so nothing a repository remembered from inside it outlives it."""

    async def __aexit__(self, *exc_info) -> None:
        try:
            if self._tx is not None:
                await self._tx.rollback()
        finally:
            await self._pool.release(self._lent)

    async def first_deliveries(self, consumer_group: str, envelopes: list[Envelope]) -> set[str]:
        if not envelopes:
            return set()
        rows = await self.conn.fetch(
            "INSERT INTO inbox (consumer_group, ce_id, ce_type) SELECT $1, id, type FROM unnest($2::text[], $3::text[])"
            " AS m(id, type) ON CONFLICT DO NOTHING RETURNING ce_id",
            consumer_group,
            [e.id for e in envelopes],
            [e.type for e in envelopes],
        )
        return {row["ce_id"] for row in rows}

    async def learn_standings(self, partner_ids: Iterable[str]) -> None:
        self.standings = await partner_standings(self.conn, partner_ids)

    async def first_delivery(self, consumer_group: str, envelope: Envelope) -> bool:
        inserted = await self.conn.fetchval(
            "INSERT INTO inbox (consumer_group, ce_id, ce_type) VALUES ($1, $2, $3)"
            " ON CONFLICT DO NOTHING RETURNING true",
            consumer_group,
            envelope.id,
            envelope.type,
        )
        return bool(inserted)

    async def write_queued(self) -> None:
        """Services whose repositories queue rows for one statement write them here; it runs before
        a savepoint (what was queued outside it must not be undone with it) and at commit."""

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        await self.write_queued()
        queued = len(self.pending)
        try:
            async with self.conn.transaction():  # nested: a SAVEPOINT
                yield
        except BaseException:
            del self.pending[queued:]
            self.open_repositories()
            raise

    def wake_on_commit(self, channel: str) -> None:
        """NOTIFY `channel` when this transaction commits (NOTIFY is transactional), once however
        often it is asked; a savepoint rolled back does not take it back, and a needless wake-up
        costs a worker one empty look."""
        self._wake.add(channel)

    async def commit(self) -> None:
        if self._tx is None:
            raise RuntimeError("commit outside the unit of work's transaction")
        await self.write_queued()
        if self.pending:
            self._wake.add(OUTBOX_CHANNEL)  # wakes the relay
            rows = [outbox_row(o) for o in self.pending]
            await self.conn.execute(
                OUTBOX_WRITE, *(list(column) for column in zip(*rows, strict=True)), sorted(self._wake)
            )
        elif self._wake:
            await self.conn.execute("SELECT pg_notify(c, '') FROM unnest($1::text[]) AS c", sorted(self._wake))
        await self._tx.commit()
        self._tx = None
        self.pending = []
        self._wake = set()
