"""A hubnet service process: FastStream Kafka subscribers, the outbox relay, background workers,
and `/healthz` + `/readyz`, wired from a `ServiceSpec` that each service's bootstrap provides."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import structlog
import uvicorn
from aiokafka import ConsumerRecord
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, PlainTextResponse
from faststream import AckPolicy
from faststream.asgi import AsgiFastStream
from faststream.kafka import KafkaBroker

from hubnet_common.sdk.kafka import idempotent_producer
from hubnet_common.sdk.signing import Signer, own_signer
from hubnet_common.sdk.topics import on_broker
from hubnet_common.sdk.trust import Verifier, trusted_service_keys
from hubnet_common.service.api import PUBLIC, ServiceApp, requires, service_api
from hubnet_common.service.auth import MONITORING, OPERATOR, TokenVerifier
from hubnet_common.service.db import create_pool, holding_session, migrate, pending_migrations
from hubnet_common.service.deadletter import DeadLetters
from hubnet_common.service.kafka import RenewingProducer
from hubnet_common.service.kafka_security import broker_security, client_security
from hubnet_common.service.logging import configure_logging
from hubnet_common.service.metrics import Metrics
from hubnet_common.service.outbox import OutboxRelay
from hubnet_common.service.processing import TRANSIENT, Processor, Record, Route
from hubnet_common.service.settings import Settings
from hubnet_common.service.startup import UNREACHABLE, wait_for_dependencies
from hubnet_common.service.trust import DirectoryKeyRing
from hubnet_common.service.uow import UnitOfWork

log = structlog.get_logger(__name__)


def consumer_group(prefix: str, service: str, topic: str) -> str:
    return f"{prefix}-{service}-{topic}"


@dataclass(frozen=True)
class ServiceSpec:
    """What makes one service: its name, schema, consumed topics and background work."""

    name: str
    migrations: Sequence[Path]
    routes: Sequence[Route]
    uow_factory: Callable[[asyncpg.Pool], Callable[[], UnitOfWork]]
    on_start: Sequence[Callable[[Runtime], Awaitable[None]]] = ()  # e.g. load seed data
    workers: Sequence[Callable[[Runtime], Coroutine[Any, Any, None]]] = ()  # loops that run until cancelled
    http_routes: Sequence[Callable[[Runtime], APIRouter]] = field(default=())  # the service's HTTP API
    description: str = ""  # of its HTTP API, in its OpenAPI document


class Runtime:
    """The live parts of a running service, created in the lifespan and shared by its handlers."""

    def __init__(self, spec: ServiceSpec, settings: Settings) -> None:
        self.spec = spec
        self.settings = settings
        self.pool: asyncpg.Pool
        # The service's unit of work on this pool: handlers, workers and start-up hooks all take it here.
        self.unit_of_work: Callable[[], UnitOfWork]
        self.processors: dict[str, Processor] = {}
        self.metrics = Metrics()
        # Signs what the service publishes (the outbox relay) and the answers it signs over HTTP.
        self.signer: Signer
        self._tasks: list[asyncio.Task] = []
        # Set at shutdown: workers finish the work in hand and return (see `every`).
        self.stopping = asyncio.Event()

    def consumer_group(self, route: Route) -> str:
        return consumer_group(self.settings.group_prefix, self.spec.name, route.topic)

    @asynccontextmanager
    async def lifespan(self, *_args: Any, **_kwargs: Any):
        self.signer = service_signer(self.spec.name, self.settings)
        self.pool = await create_pool(self.settings.pg_dsn)
        self.producer = RenewingProducer(
            lambda: idempotent_producer(
                self.settings.kafka_bootstrap, f"hubnet-{self.spec.name}", **client_security(self.settings)
            )
        )
        try:
            async with holding_session(self.pool) as conn:
                await migrate(conn, *self.spec.migrations)
            await self.producer.start()
            self.unit_of_work = self.spec.uow_factory(self.pool)
            dead_letters = DeadLetters(self.producer, self.metrics)
            verifier = Verifier(
                DirectoryKeyRing(trusted_service_keys(self.settings.keys_dir), self.pool),
                window=timedelta(seconds=self.settings.signature_window_seconds),
                unknown_key_grace=self.settings.unknown_key_grace_seconds,
            )
            for route in self.spec.routes:
                self.processors[route.topic] = Processor(
                    route=route,
                    consumer_group=self.consumer_group(route),
                    uow_factory=self.unit_of_work,
                    dead_letters=dead_letters,
                    verifier=verifier,
                )
            for hook in self.spec.on_start:
                await hook(self)
            relay = OutboxRelay(
                self.pool,
                self.producer,
                self.signer,
                poll_seconds=self.settings.outbox_poll_seconds,
                topic_prefix=self.settings.topic_prefix,
            )
            workers = [asyncio.create_task(worker(self), name=worker.__name__) for worker in self.spec.workers]
            relaying = asyncio.create_task(relay.run(), name="outbox-relay")
            self._tasks = [*workers, relaying]
            log.info("service started", http_port=self.settings.http_port)
            yield
        finally:
            await self._stop_gracefully(relay if self._tasks else None)
            await self.producer.stop()
            await self.pool.close()
            log.info("service stopped")

    async def _stop_gracefully(self, relay: OutboxRelay | None) -> None:
        """The consumers have stopped (FastStream did that first). Workers finish what they hold,
        then the relay publishes what everything committed; what overruns the grace time is cancelled."""
        self.stopping.set()
        workers, relaying = self._tasks[:-1], self._tasks[-1:]
        if workers:
            await asyncio.wait(workers, timeout=self.settings.graceful_timeout)
        if relay is not None:
            relay.stop()
            await asyncio.wait(relaying, timeout=self.settings.graceful_timeout)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def metrics_text(self) -> str:
        async with self.pool.acquire(timeout=2) as conn:
            backlog, oldest = await conn.fetchrow(  # type: ignore[misc]  # an aggregate always has a row
                "SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)::float"
                " FROM outbox WHERE published_at IS NULL"
            )
        return self.metrics.render(outbox_backlog=backlog, outbox_oldest_seconds=oldest)

    async def readiness(self) -> dict[str, str]:
        checks: dict[str, str] = {}
        try:
            async with self.pool.acquire(timeout=2) as conn:
                pending = await pending_migrations(conn, *self.spec.migrations)
            checks["postgres"] = "ok"
            checks["migrations"] = "ok" if not pending else f"pending: {', '.join(pending)}"
        except Exception as exc:  # noqa: BLE001 - any failure means not ready; say which
            checks["postgres"] = UNREACHABLE
            log.warning("not ready: postgres unreachable", error=repr(exc))
        try:
            await asyncio.wait_for(self.producer.client.fetch_all_metadata(), 2)
            checks["kafka"] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means not ready; say which
            checks["kafka"] = UNREACHABLE
            log.warning("not ready: kafka unreachable", error=repr(exc))
        return checks


def service_signer(name: str, settings: Settings) -> Signer:
    return own_signer(f"service-{name}", settings.signing_key_file, settings.keys_dir)


def build_app(spec: ServiceSpec, settings: Settings) -> tuple[ServiceApp, Runtime]:
    runtime = Runtime(spec, settings)
    broker = KafkaBroker(
        settings.kafka_bootstrap,
        client_id=f"hubnet-{spec.name}",
        security=broker_security(settings),
        graceful_timeout=settings.graceful_timeout,
        allow_auto_create_topics=False,
        logger=logging.getLogger("hubnet.faststream"),  # rendered as JSON like every other line
        log_level=logging.DEBUG,  # FastStream's per-message access lines; ours say more
        # No dependency injection: a handler takes the batch as it came (`_batch_as_it_came`).
        # FastStream would otherwise resolve the message's context in a worker thread for every
        # batch: 11 % of the events service's CPU under load (BENCHMARKS.md).
        apply_types=False,
    )
    for route in spec.routes:
        _subscribe(broker, runtime, route)
    streams = AsgiFastStream(broker, lifespan=runtime.lifespan, logger=logging.getLogger("hubnet.faststream"))
    api = service_api(
        spec.name,
        tokens=TokenVerifier(settings.oidc_issuer, f"hubnet-{spec.name}", leeway_seconds=settings.oidc_leeway_seconds),
        pool=lambda: runtime.pool,
        routers=[probes(runtime), *(router(runtime) for router in spec.http_routes)],
        description=spec.description,
    )
    return ServiceApp(streams, api), runtime


def probes(runtime: Runtime) -> APIRouter:
    """Liveness and readiness for anyone (they say no more than ok or not), metrics for monitoring."""
    router = APIRouter(tags=["probes"])

    @router.get("/healthz", openapi_extra=PUBLIC, response_class=PlainTextResponse, summary="the process runs")
    async def healthz() -> str:
        return "ok"

    @router.get(
        "/readyz",
        openapi_extra=PUBLIC,
        summary="PostgreSQL, the migrations and Kafka are ready",
        responses={503: {"description": "not ready: which part, never why (that is logged)"}},
    )
    async def readyz() -> JSONResponse:
        checks = await runtime.readiness()
        return JSONResponse(checks, 200 if all(value == "ok" for value in checks.values()) else 503)

    @router.get(
        "/metrics",
        response_class=PlainTextResponse,
        summary="Prometheus metrics",
        dependencies=[Depends(requires(MONITORING, OPERATOR))],
    )
    async def metrics() -> PlainTextResponse:
        return PlainTextResponse(await runtime.metrics_text(), media_type="text/plain; version=0.0.4")

    return router


def _subscribe(broker: KafkaBroker, runtime: Runtime, route: Route) -> None:
    """One subscriber per consumed topic, offset rules of docs/adr/0002-own-batch-processor.md: a group, commit only
    after the effects' transaction (AckPolicy.ACK; `Processor.process_batch` never raises), and
    start from the earliest record a new group has not seen. It takes what one poll returns (up to
    `consume_batch_records`), so a backlog costs one transaction and one commit per batch."""

    async def consume(batch: tuple[ConsumerRecord, ...]) -> None:
        began = time.perf_counter()
        records = [Record.of(raw) for raw in batch]
        outcomes = await runtime.processors[route.topic].process_batch(records)
        share = (time.perf_counter() - began) / max(len(records), 1)
        for outcome in outcomes:
            runtime.metrics.processed(route.topic, outcome, share)

    broker.subscriber(
        on_broker(route.topic, runtime.settings.topic_prefix),
        group_id=runtime.consumer_group(route),
        ack_policy=AckPolicy.ACK,
        auto_offset_reset="earliest",
        batch=True,
        max_records=runtime.settings.consume_batch_records,
        batch_timeout_ms=runtime.settings.consume_idle_ms,
        parser=keep_raw_headers,
        decoder=_batch_as_it_came,
    )(consume)


async def keep_raw_headers(records: tuple[ConsumerRecord, ...], parse: Callable[[tuple], Awaitable[Any]]) -> Any:
    """FastStream's parser decodes every header as UTF-8 and gives up on the batch when one is
    not, so the processor would never see the record to dead-letter it. It parses copies with
    readable headers instead, and the processor gets the records as they came."""
    readable = tuple(
        record
        if _utf8_headers(record)
        else replace(
            record,
            headers=[(name, (value or b"").decode("utf-8", "replace").encode()) for name, value in record.headers],
        )
        for record in records
    )
    message = await parse(readable)
    message.raw_message = records
    return message


def _utf8_headers(record: ConsumerRecord) -> bool:
    try:
        for _, value in record.headers:
            (value or b"").decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


async def _batch_as_it_came(message: Any) -> tuple[ConsumerRecord, ...]:
    """The processor reads each record itself, so a body that is not JSON is still answered."""
    return message.raw_message


def run_service(spec: ServiceSpec, settings: Settings | None = None) -> None:
    settings = settings or Settings()
    configure_logging(spec.name, settings.log_level)
    asyncio.run(wait_for_dependencies(settings))
    app, _ = build_app(spec, settings)
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_level="warning",
        log_config=None,  # keep the JSON handler configure_logging installed
        timeout_graceful_shutdown=int(settings.graceful_timeout),
    )


def every(seconds: float, work: Callable[[Runtime], Awaitable[int]], name: str, *, wake_on: str | None = None):
    """A background worker: runs `work` again at once while it finds something to do, else waits
    `seconds` or until a NOTIFY on the PostgreSQL channel `wake_on`; failures pause it (transient
    ones, database or broker away, as a warning; others as an error with the traceback) and it
    never dies of one. At shutdown it finishes the piece of work in hand and returns, so nothing
    is cut off halfway (e.g. a mail sent but not recorded)."""

    async def worker(runtime: Runtime) -> None:
        woken = asyncio.Event()
        async with _listening(runtime, wake_on, woken):
            while not runtime.stopping.is_set():
                woken.clear()
                try:
                    if await work(runtime):
                        continue
                except TRANSIENT as exc:
                    log.warning("worker paused", worker=name, error=repr(exc))
                except Exception:  # e.g. a connection left unusable by a database restart: a worker must not die of it
                    log.exception("worker failed; it goes on after a pause", worker=name)
                await _first_of(runtime.stopping, woken, timeout=seconds)

    worker.__name__ = name
    return worker


@dataclass
class OwnLoop:
    """What a worker on a loop of its own sees of the service: its settings, and a pool, the
    service's unit of work on that pool and a stopping signal of that loop."""

    settings: Settings
    pool: asyncpg.Pool
    unit_of_work: Callable[[], UnitOfWork]
    stopping: asyncio.Event


def on_own_loop(worker: Callable[[Any], Awaitable[None]], *, pool_size: int = 3):
    """Runs a worker on an event loop of its own thread, with a database pool of its own, so that
    none of its steps waits behind the service's other work (a consumer's batch can hold the
    service's loop for tens of milliseconds). For work whose timing matters, such as recording at
    once that a mail server accepted a mail."""

    async def run(runtime: Runtime) -> None:
        own: dict[str, Any] = {}
        started = threading.Event()

        async def main() -> None:
            pool = await create_pool(runtime.settings.pg_dsn, min_size=1, max_size=pool_size)
            own["loop"], own["stopping"] = asyncio.get_running_loop(), asyncio.Event()
            started.set()
            try:
                await worker(OwnLoop(runtime.settings, pool, runtime.spec.uow_factory(pool), own["stopping"]))
            finally:
                await pool.close()

        thread = asyncio.get_running_loop().run_in_executor(None, lambda: asyncio.run(main()))
        stopping = asyncio.ensure_future(runtime.stopping.wait())
        either: list[asyncio.Future[Any]] = [thread, stopping]
        await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        if started.is_set():
            own["loop"].call_soon_threadsafe(own["stopping"].set)
        stopping.cancel()
        await thread

    run.__name__ = worker.__name__
    return run


@asynccontextmanager
async def _listening(runtime: Runtime, channel: str | None, woken: asyncio.Event):
    """Sets `woken` on every NOTIFY on `channel`, from a connection of its own. Without one (no
    channel, or the database away at start) the worker only polls."""

    def wake(*_args) -> None:
        woken.set()

    if channel is None:
        yield
        return
    async with contextlib.AsyncExitStack() as stack:
        try:
            conn = await stack.enter_async_context(holding_session(runtime.pool, timeout=5))
            await conn.add_listener(channel, wake)
        except Exception as exc:  # noqa: BLE001 - polling alone still works
            log.warning("not listening; polling only", channel=channel, error=repr(exc))
        yield


async def _first_of(*events: asyncio.Event, timeout: float) -> None:
    waits = [asyncio.ensure_future(event.wait()) for event in events]
    await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    for waiting in waits:
        waiting.cancel()
