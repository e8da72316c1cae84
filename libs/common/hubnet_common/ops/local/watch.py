"""Read what the services publish, from the moment the watcher starts or from the beginning of
the topics (for the demo and tests)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from hubnet_common.ops.local.credentials import ADMIN, login
from hubnet_common.sdk.envelope import Envelope, EnvelopeInvalid
from hubnet_common.sdk.messages.base import MESSAGE_TYPES, Message
from hubnet_common.sdk.topics import Topic, on_broker
from hubnet_common.service.settings import Settings


@dataclass(frozen=True)
class Seen:
    topic: str
    envelope: Envelope
    body: Any  # the message model, or the raw bytes when the type is unknown
    key: str
    at: float = 0.0  # time.monotonic() when the watcher read it
    published: float = 0.0  # the record's timestamp (time.time() of its producer, or of the broker)


class TopicWatcher:
    def __init__(
        self,
        bootstrap: str,
        topics: list[Topic],
        *,
        from_beginning: bool = False,
        topic_prefix: str | None = None,
        types: set[str] | None = None,
    ) -> None:
        """`types`: keep only messages of these ce_types (unset: all), e.g. to watch a busy topic cheaply."""
        self.topics = topics
        self.types = types
        self.prefix = Settings().topic_prefix if topic_prefix is None else topic_prefix
        self.from_beginning = from_beginning
        # It reads every partner's replies: only the local super user may.
        self.consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, **login(ADMIN))
        self.seen: list[Seen] = []
        self._changed = asyncio.Condition()
        self._reader: asyncio.Task | None = None

    async def __aenter__(self) -> TopicWatcher:
        await self.consumer.start()
        partitions = [
            TopicPartition(on_broker(t.name, self.prefix), p) for t in self.topics for p in range(t.partitions)
        ]
        self.consumer.assign(partitions)
        if self.from_beginning:
            await self.consumer.seek_to_beginning(*partitions)
        else:
            await self.consumer.seek_to_end(*partitions)
        for tp in partitions:
            await self.consumer.position(tp)
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc_info) -> None:
        if self._reader:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self.consumer.stop()

    async def _read(self) -> None:
        async for record in self.consumer:
            try:
                envelope = Envelope.from_headers(record.headers)
            except EnvelopeInvalid:
                continue  # not a hubnet message: nothing to show
            if self.types is not None and envelope.type not in self.types:
                continue
            model = MESSAGE_TYPES.get(envelope.type)
            body = model.model_validate_json(record.value) if model else record.value
            async with self._changed:
                topic = record.topic.removeprefix(self.prefix)
                self.seen.append(
                    Seen(topic, envelope, body, (record.key or b"").decode(), time.monotonic(), record.timestamp / 1000)
                )
                self._changed.notify_all()

    async def wait_for(self, match: Callable[[Seen], bool], timeout: float = 30.0) -> Seen:
        """The first message (seen so far or later) that matches."""
        async with asyncio.timeout(timeout), self._changed:
            while True:
                for seen in self.seen:
                    if match(seen):
                        return seen
                await self._changed.wait()

    def of_type(self, model: type[Message]) -> list[Seen]:
        return [s for s in self.seen if s.envelope.type == model.ce_type]
