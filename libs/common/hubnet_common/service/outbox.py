"""The outbox relay (docs/adr/0004-single-outbox-relay.md): publishes what handlers committed to the
outbox table, in order.

One relay per database is active at a time (a PostgreSQL advisory lock): with a single publisher
and an idempotent producer, messages with the same key reach Kafka in commit order. It wakes on
NOTIFY from a committing unit of work and polls as a fallback. If Kafka is down, rows stay
unpublished and are retried; nothing is lost.
"""

from __future__ import annotations

import asyncio
import json

import asyncpg
import structlog
from aiokafka import AIOKafkaProducer

from hubnet_common.sdk.signing import Signer
from hubnet_common.sdk.topics import on_broker
from hubnet_common.service.db import Connection, holding_session

log = structlog.get_logger(__name__)
RELAY_LOCK = 7_311_002
CHANNEL = "hubnet_outbox"


class OutboxRelay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        producer: AIOKafkaProducer,
        signer: Signer,
        *,
        poll_seconds: float = 1.0,
        batch_size: int = 500,
        topic_prefix: str = "",
    ) -> None:
        self.pool = pool
        self.signer = signer
        self.topic_prefix = topic_prefix
        self.producer = producer
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size
        self._wake = asyncio.Event()
        self._stopping = False

    def stop(self) -> None:
        """Finish the batch in flight, then return from `run` (a cancelled batch would be sent
        again by the next relay: harmless for consumers, but noise)."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Relay until stopped or cancelled; stands by while another instance holds the relay lock."""
        backoff = 0.5
        while not self._stopping:
            try:
                async with holding_session(self.pool) as listener:
                    await self._relay_while_leader(listener)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - database or broker trouble: keep the rows, try again
                log.warning("outbox relay interrupted", error=repr(exc), retry_in=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 15.0)
            else:
                backoff = 0.5

    async def _relay_while_leader(self, listener: Connection) -> None:
        while not await listener.fetchval("SELECT pg_try_advisory_lock($1)", RELAY_LOCK):
            if self._stopping:
                return
            await asyncio.sleep(self.poll_seconds)
        await listener.add_listener(CHANNEL, self._on_notify)
        try:
            while not self._stopping:
                self._wake.clear()
                if await self.publish_pending() < self.batch_size:
                    try:
                        await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
                    except TimeoutError:
                        pass
        finally:
            await listener.remove_listener(CHANNEL, self._on_notify)
            await listener.execute("SELECT pg_advisory_unlock($1)", RELAY_LOCK)

    def _on_notify(self, *_args) -> None:
        self._wake.set()

    async def publish_pending(self) -> int:
        """Publish one batch of unpublished rows in commit order; returns how many."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "SELECT id, topic, key, headers, body FROM outbox WHERE published_at IS NULL"
                " ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED",
                self.batch_size,
            )
            if not rows:
                return 0
            deliveries = [await self._send(row) for row in rows]
            await asyncio.gather(*deliveries)
            await conn.execute(
                "UPDATE outbox SET published_at = now() WHERE id = ANY($1::uuid[])", [row["id"] for row in rows]
            )
        log.debug("outbox published", count=len(rows))
        return len(rows)

    async def _send(self, row: asyncpg.Record) -> asyncio.Future:
        """Queue one row, signed as this service (the signature is made here, not stored)."""
        key, body = row["key"].encode(), row["body"]
        headers = [(name, value.encode()) for name, value in json.loads(row["headers"])]
        headers = self.signer.sign(row["topic"], key, headers, body)
        return await self.producer.send(
            on_broker(row["topic"], self.topic_prefix), value=body, key=key, headers=headers
        )
