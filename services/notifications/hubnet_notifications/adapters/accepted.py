"""Records that a mail server or webhook receiver accepted a notification, as soon as it did.

A process killed after the acceptance and before the database has the record sends the
notification again after its lease (docs/adr/0001-delivery-outcomes.md). So this recorder does
nothing else. It has a few connections of its own (lanes) and never waits for a pool. An
acceptance goes out at once on an idle lane; on a busy one it waits for the statement in flight
and goes with every other acceptance that arrived meanwhile (group commit). One statement marks
the notifications delivered and puts their `notification.delivered` facts in the outbox.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import asyncpg
import structlog

from hubnet_common.service.uow import Outgoing, outbox_row

log = structlog.get_logger(__name__)

# A record is safe from this process's death once the database has the statement; waiting for the
# disk as well would make the window ten times longer. Only a crash of PostgreSQL itself within
# about 0.6 s (three wal_writer_delay) could lose one, and that sends the mail again, never loses it.
RECORDER_SETTINGS = {"synchronous_commit": "off", "application_name": "hubnet-delivery-recorder"}

RECORD = """
WITH outcome AS (
    SELECT * FROM unnest($1::uuid[], $2::int[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::bytea[])
        AS o(notification_id, attempts, id, topic, key, headers, body)
), done AS (
    UPDATE notifications n SET status = 'delivered', attempts = o.attempts, last_error = NULL,
        delivered_at = clock_timestamp()
    FROM outcome o WHERE n.id = o.notification_id AND n.status = 'pending'
    RETURNING n.id
), announced AS (
    INSERT INTO outbox (id, topic, key, headers, body)
    SELECT o.id, o.topic, o.key, o.headers::jsonb, o.body FROM outcome o JOIN done ON done.id = o.notification_id
    RETURNING 1
)
SELECT count(*) AS announced, (SELECT pg_notify('hubnet_outbox', '') WHERE EXISTS (SELECT 1 FROM announced))
FROM announced
"""

Accepted = tuple[str, int, Outgoing]  # notification id, attempts so far, its notification.delivered fact


class PgAcceptedOutcomes:
    """Acceptances recorded on the least busy of `lanes` connections."""

    def __init__(self, connect: Callable[[], Awaitable[asyncpg.Connection]], *, lanes: int = 2) -> None:
        self._lanes = [Lane(connect) for _ in range(lanes)]

    async def record(self, notification_id: str, attempts: int, fact: Outgoing) -> None:
        """Returns once the acceptance is recorded; raises when the database is away (it stays kept)."""
        lane = min(self._lanes, key=Lane.load)
        await lane.record(notification_id, attempts, fact)

    async def flush(self) -> None:
        """Write what earlier writes could not; raises while the database is still away."""
        for lane in self._lanes:
            await lane.flush()

    async def close(self) -> None:
        for lane in self._lanes:
            await lane.close()


class Lane:
    """Group commit of acceptances on a connection of its own; what a failed write could not
    record is kept and written first by the next `flush` or `record`."""

    def __init__(self, connect: Callable[[], Awaitable[asyncpg.Connection]]) -> None:
        self._connect = connect
        self._conn: asyncpg.Connection | None = None
        self._queue: list[Accepted] = []
        self._kept: list[Accepted] = []
        self._writing = False
        self._written = asyncio.Condition()

    async def record(self, notification_id: str, attempts: int, fact: Outgoing) -> None:
        self._queue.append((notification_id, attempts, fact))
        await self._write_while_queued()

    async def flush(self) -> None:
        await self._write_while_queued()

    def load(self) -> tuple[bool, int]:
        return self._writing, len(self._queue) + len(self._kept)

    async def _write_while_queued(self) -> None:
        if self._writing:  # the writer in hand takes this one too, in its next statement
            async with self._written:
                await self._written.wait_for(lambda: not self._writing)
            if self._kept:
                raise ConnectionError("the delivery record could not be written; it is kept")
            return
        self._writing = True
        try:
            while self._queue or self._kept:
                batch, self._kept, self._queue = self._kept + self._queue, [], []
                try:
                    await self._write(batch)
                except BaseException:
                    self._kept = batch + self._kept
                    raise
        finally:
            self._writing = False
            async with self._written:
                self._written.notify_all()

    async def _write(self, batch: list[Accepted]) -> None:
        conn = await self._connection()
        rows = [outbox_row(fact) for _, _, fact in batch]
        try:
            await conn.fetchrow(
                RECORD, [b[0] for b in batch], [b[1] for b in batch], *map(list, zip(*rows, strict=True))
            )
        except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError):
            await self.close()  # a new connection next time
            raise
        log.debug("acceptances recorded", count=len(batch))

    async def _connection(self) -> asyncpg.Connection:
        if self._conn is None or self._conn.is_closed():
            self._conn = await self._connect()
        return self._conn

    async def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.terminate()


# Sent as one simple-protocol message (no parameters, so no prepare round trip first): a kill
# after the write cannot leave half of it. The id is a parsed UUID, never text from outside.
HAND_OVER = "UPDATE notifications SET handed_at = clock_timestamp() WHERE id = '{}' AND status = 'pending'"
TAKE_BACK = "UPDATE notifications SET handed_at = NULL WHERE id = $1::uuid AND status = 'pending'"


class PgHandovers:
    """For each mail in flight a connection of its own, idle until the mail's last byte is written.
    Then, before the server answers, one statement marks the mail handed over: it leaves in the
    same step as that byte, and PostgreSQL commits it even if this process dies right after. A kill
    between the two writes is the only way left to send a mail twice. One round trip a mail: the
    connection is taken before the mail is sent, so the statement never waits for one.

    At most `in_flight` mails hold a connection at once, as many as the mailer has SMTP sessions:
    a batch of due mails waits here, not with a connection each (a batch of 100 once ran the server
    out of connections)."""

    def __init__(self, connect: Callable[[], Awaitable[asyncpg.Connection]], *, in_flight: int = 8) -> None:
        self._connect = connect
        self._idle: list[asyncpg.Connection] = []
        self._slots = asyncio.Semaphore(in_flight)

    @asynccontextmanager
    async def of(self, notification_id: str) -> AsyncIterator[Handover]:
        async with self._slots:
            conn = self._idle.pop() if self._idle else await self._connect()
            handover = Handover(conn, notification_id)
            try:
                yield handover
            except BaseException:
                await handover.take_back()
                raise
            finally:
                self._give_back(conn, handover)

    def _give_back(self, conn: asyncpg.Connection, handover: Handover) -> None:
        if handover.clean and not conn.is_closed():
            self._idle.append(conn)
        else:
            conn.terminate()

    async def close(self) -> None:
        for conn in self._idle:
            conn.terminate()
        self._idle = []


class Handover:
    """One mail's handover: `commit` once its last byte is out, `take_back` when it was refused."""

    def __init__(self, conn: asyncpg.Connection, notification_id: str) -> None:
        self.conn, self.notification_id = conn, notification_id
        self.committed, self.clean = False, True
        # Made before the mail is sent: between its last byte and this statement, the less the better.
        self._statement = HAND_OVER.format(uuid.UUID(notification_id))

    async def commit(self) -> None:
        """Never raises: a handover that fails leaves the notification pending, and the server's
        answer is then recorded by PgAcceptedOutcomes, which keeps what it cannot write."""
        try:
            await self.conn.execute(self._statement)
            self.committed = True
        except Exception as exc:  # noqa: BLE001 - the mail goes on; its lease decides
            self.clean = False
            log.warning("handover not recorded", notification_id=self.notification_id, error=repr(exc))

    async def take_back(self) -> None:
        """The server refused the mail after its last byte: it is due again."""
        if not self.committed:
            return
        try:
            await self.conn.execute(TAKE_BACK, self.notification_id)
        except Exception:
            self.clean = False
            raise
