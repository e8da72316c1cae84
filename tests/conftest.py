"""Real infrastructure for integration and end-to-end tests.

Kafka and PostgreSQL come from HUBNET_KAFKA_BOOTSTRAP / HUBNET_PG_DSN when set (`make test` sets
them), else from testcontainers when a Docker engine answers, else the tests fail and say how to
start them. A test session has topics of its own on the broker (HUBNET_TOPIC_PREFIX, deleted at the
end), so it neither sees nor disturbs what `make run` or another run left there; each test module
gets its own databases and consumer groups (named with the topic prefix); every client logs in as
its own Kafka user, and the ACLs of the access matrix on the session's topics and groups live as
long as the session; SMTP is a real sink (`deploy/local/mailsink.py`)
started per test session on a free port.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

from hubnet_common.ops.access import network_key_names
from hubnet_common.ops.cli.migrate import migration_dirs
from hubnet_common.ops.local.kafka_users import environment
from hubnet_common.ops.local.services import database_dsn
from hubnet_common.sdk.keys import ensure_key_pairs, ensure_secret_key
from hubnet_common.sdk.participant import PSEUDONYM_KEY_FILE
from hubnet_common.service.db import migrate

ROOT = Path(__file__).resolve().parents[1]
HOW_TO_START = (
    "Kafka and PostgreSQL are needed: run `make test` (it starts them), or `make up` and "
    "`source .local/env`, or set HUBNET_KAFKA_BOOTSTRAP and HUBNET_PG_DSN, or run a Docker engine."
)


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:  # noqa: BLE001 - no Docker engine in any form
        return False


@pytest.fixture(scope="session", autouse=True)
def network_keys(tmp_path_factory) -> Path:
    """Signing and sealing keys of every service and partner, made for this session:
    HUBNET_KEYS_DIR names them to the services, partner clients and tools it starts."""
    directory = tmp_path_factory.mktemp("keys")
    ensure_key_pairs(directory, network_key_names())
    ensure_secret_key(directory / PSEUDONYM_KEY_FILE)  # the referrals service's (hubnet keys generate --network)
    before = os.environ.get("HUBNET_KEYS_DIR")
    os.environ["HUBNET_KEYS_DIR"] = str(directory)
    yield directory
    if before is None:
        os.environ.pop("HUBNET_KEYS_DIR")
    else:
        os.environ["HUBNET_KEYS_DIR"] = before


@pytest.fixture(scope="session")
def infrastructure():
    """(kafka bootstrap, PostgreSQL server DSN)."""
    kafka, pg = os.environ.get("HUBNET_KAFKA_BOOTSTRAP"), os.environ.get("HUBNET_PG_DSN")
    if kafka and pg:
        yield kafka, pg
        return
    if not _docker_answers():
        pytest.fail(HOW_TO_START, pytrace=False)
    from testcontainers.kafka import KafkaContainer
    from testcontainers.postgres import PostgresContainer

    with KafkaContainer("apache/kafka:4.1.1").with_kraft() as k, PostgresContainer("postgres:15") as p:
        os.environ["HUBNET_KAFKA_BOOTSTRAP"] = k.get_bootstrap_server()
        os.environ["HUBNET_PG_DSN"] = p.get_connection_url(driver=None)
        yield os.environ["HUBNET_KAFKA_BOOTSTRAP"], os.environ["HUBNET_PG_DSN"]


@pytest_asyncio.fixture(scope="session")
async def kafka_bootstrap(infrastructure):
    """The broker, with this session's own topics: services, partner clients and watchers started
    from here (in this process or as child processes) all read HUBNET_TOPIC_PREFIX."""
    bootstrap = infrastructure[0]
    prefix = f"test-{uuid.uuid4().hex[:8]}."
    async with environment(bootstrap, topic_prefix=prefix, group_prefix=f"{prefix}hubnet"):
        os.environ["HUBNET_TOPIC_PREFIX"] = prefix
        yield bootstrap
        os.environ.pop("HUBNET_TOPIC_PREFIX", None)


@pytest.fixture(scope="session")
def pg_server_dsn(infrastructure) -> str:
    return infrastructure[1]


@pytest_asyncio.fixture(scope="session")
async def new_database(pg_server_dsn):
    """Makes empty databases with unique names; drops them after the session."""
    made: list[str] = []

    async def make(label: str, template: str | None = None) -> str:
        name = f"test_{label}_{uuid.uuid4().hex[:8]}"
        conn = await asyncpg.connect(pg_server_dsn)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        finally:
            await conn.close()
        made.append(name)
        return database_dsn(pg_server_dsn, name)

    yield make
    conn = await asyncpg.connect(pg_server_dsn)
    try:
        for name in made:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest_asyncio.fixture(scope="session")
async def migrated_database(new_database):
    """Makes a database with a service's migrations applied: a copy of one migrated once per
    service and session (CREATE DATABASE … TEMPLATE takes a fraction of the migrations' time)."""
    templates: dict[str, str] = {}

    async def make(service: str) -> str:
        if service not in templates:
            dsn = await new_database(f"{service}_template")
            conn = await asyncpg.connect(dsn)
            try:
                await migrate(conn, *migration_dirs(service))
            finally:
                await conn.close()  # a template must have no connections when it is copied
            templates[service] = dsn.rpartition("/")[2]
        return await new_database(service, template=templates[service])

    return make


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def mail_sink(tmp_path_factory):
    """A real SMTP server (the project's sink) keeping mails as files: (port, mail dir)."""
    mail_dir = tmp_path_factory.mktemp("mail")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "deploy/local/mailsink.py"), "--port", str(port), "--mail-dir", str(mail_dir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 15
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("the SMTP sink did not start", pytrace=False)
            time.sleep(0.1)
    yield port, mail_dir
    process.terminate()
    process.wait(10)


def fresh_group_prefix(label: str) -> str:
    """Consumer groups of their own, named with the session's prefix so that its ACLs go with it."""
    return f"{os.environ['HUBNET_TOPIC_PREFIX']}{label}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def group_prefix(kafka_bootstrap) -> str:
    return fresh_group_prefix("test")
