"""Run one service in this process against the real broker and database."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Callable

import asyncpg
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from hubnet_common.ops.local.credentials import logged_in, login
from hubnet_common.ops.local.kafka_users import admin_login, grant
from hubnet_common.ops.local.partners import LocalPartnerClient
from hubnet_common.ops.local.watch import TopicWatcher
from hubnet_common.ops.partners import main_topics
from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.identity import owner_name, service_source
from hubnet_common.sdk.keys import read_key
from hubnet_common.sdk.messages.directory import PartnerUpserted, SigningKeyEntry
from hubnet_common.sdk.signing import Signer
from hubnet_common.sdk.topics import DIRECTORY, MAIN_TOPICS, on_broker
from hubnet_common.service.runtime import build_app, consumer_group, service_signer
from hubnet_common.service.settings import Settings
from hubnet_referrals.adapters.seed import read_network

pytestmark = pytest.mark.integration


@contextlib.asynccontextmanager
async def running(spec, settings):
    """The service's lifespan and its Kafka subscribers, as `hubnet-<service>` would run them, logged
    in as its own Kafka user.

    It runs in a task of its own: FastStream's task group must be left by the task that entered it,
    and pytest may tear fixtures down in another task."""
    settings = logged_in(f"hubnet-{spec.name}", settings)
    app, runtime = build_app(spec, settings)
    await skip_history(settings.kafka_bootstrap, settings.group_prefix, [spec])
    started, stop = asyncio.Event(), asyncio.Event()

    async def serve() -> None:
        async with app.streams.start_lifespan_context():
            await _wait_until_assigned(app)
            started.set()
            await stop.wait()

    task = asyncio.create_task(serve())
    waiting = asyncio.create_task(started.wait())
    await asyncio.wait([task, waiting], return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        waiting.cancel()
        task.result()  # raises what stopped the service from starting
    try:
        yield runtime
    finally:
        stop.set()
        await task


async def skip_history(bootstrap: str, group_prefix: str, specs) -> None:
    """A test run has topics of its own, but its modules share them: a service a module starts
    begins at the end of the command and fact topics (what earlier modules sent is not its
    business) and reads the compacted directory from its beginning, as a new deployment would.
    A group that has committed offsets already (a restarted service) keeps them. The services may
    use groups with this prefix from now on (ACLs until the session ends)."""
    prefix = Settings().topic_prefix
    await grant(bootstrap, topic_prefix=prefix, group_prefix=group_prefix)
    for spec in specs:
        for route in spec.routes:
            if route.topic == DIRECTORY.name:
                continue
            topic = next(t for t in MAIN_TOPICS if t.name == route.topic)
            await _start_at_end(
                bootstrap,
                consumer_group(group_prefix, spec.name, route.topic),
                [TopicPartition(on_broker(topic.name, prefix), p) for p in range(topic.partitions)],
            )


async def _start_at_end(bootstrap: str, group: str, partitions: list) -> None:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False, **admin_login())
    await consumer.start()
    try:
        consumer.assign(partitions)
        if any([await consumer.committed(tp) is not None for tp in partitions]):
            return
        await consumer.commit(await consumer.end_offsets(partitions))
    finally:
        await consumer.stop()


async def _wait_until_assigned(app, timeout: float = 30.0) -> None:
    """Commands sent before a new consumer group has its partitions would still be processed
    (earliest offsets), but tests read clearer when the service is listening first."""
    async with asyncio.timeout(timeout):
        for subscriber in app.streams.brokers[0].subscribers:
            while not (subscriber.consumer and subscriber.consumer.assignment()):
                await asyncio.sleep(0.05)


@pytest_asyncio.fixture(scope="session", autouse=True)
async def enrolled_partners(kafka_bootstrap, network_keys):
    """Every partner with its signing key on directory.v1, as the referrals service publishes them
    when it first starts: a service tested without it still knows who signs what."""
    partners, _, _ = read_network()
    for partner in partners:
        await enrol(kafka_bootstrap, partner.id, partner.name, network_keys)


async def enrol(kafka_bootstrap: str, partner_id: str, name: str, keys_dir) -> None:
    """A partner's directory entry as first published: its keys from the keys directory."""
    fact = PartnerUpserted(
        partner_id=partner_id,
        name=name,
        signing_keys=[SigningKeyEntry(public_key=read_key(keys_dir / f"partner-{partner_id}.ed25519.pub"))],
        # what a partner's UpdatePartner gives it: webhook secrets are sealed to it
        encryption_public_key=read_key(keys_dir / f"partner-{partner_id}.x25519.pub"),
    )
    await publish_fact(
        kafka_bootstrap,
        fact,
        Envelope.new(type=fact.ce_type, source=service_source("referrals"), subject=fact.subject()),
    )


@pytest.fixture
async def watcher(kafka_bootstrap):
    async with TopicWatcher(kafka_bootstrap, list(main_topics())) as watch:
        yield watch


@pytest.fixture(scope="session")
def partner(kafka_bootstrap):
    @contextlib.asynccontextmanager
    async def as_partner(partner_id: str):
        async with LocalPartnerClient(kafka_bootstrap, partner_id) as client:
            yield client

    return as_partner


async def publish_fact(kafka_bootstrap: str, fact, envelope, *, signer: Signer | None = None) -> None:
    await publish_facts(kafka_bootstrap, [(fact, envelope)], signer=signer)


async def publish_facts(kafka_bootstrap: str, facts: list, *, signer: Signer | None = None) -> None:
    """Publish (fact, envelope) pairs as the service their envelopes name would, through one
    producer: signed with that service's key (or with `signer`'s, to forge them)."""
    service = owner_name(facts[0][1].source).removeprefix("service-")
    signer = signer or service_signer(service, Settings())
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, **login(f"hubnet-{service}"))
    await producer.start()
    try:
        for fact, envelope in facts:
            key, body = fact.subject().encode(), fact.model_dump_json().encode()
            await producer.send_and_wait(
                on_broker(fact.topic, Settings().topic_prefix),
                body,
                key=key,
                headers=signer.sign(fact.topic, key, envelope.to_headers(), body),
            )
    finally:
        await producer.stop()


async def eventually(condition: Callable, timeout: float = 30.0, *, every: float = 0.1, what: str = ""):
    """Wait until `condition()` (plain or async) gives something true, and return it: a wait for
    what should happen instead of a fixed sleep. Fails the test after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = condition()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not so after {timeout} s: {what or getattr(condition, '__name__', condition)}")
        await asyncio.sleep(every)


async def until(dsn: str, sql: str, timeout: float = 30.0) -> None:
    """Wait until the query returns a row (e.g. a service's copy of the directory has arrived)."""
    await eventually(lambda: rows(dsn, sql), timeout, what=sql)


async def rows(dsn: str, sql: str, *args) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()
