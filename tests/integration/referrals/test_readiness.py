"""`/readyz` as an orchestrator sees it (README.md: "PostgreSQL, Kafka and migrations, as JSON; 503
when one is missing"; "a service whose PostgreSQL or Kafka is not there yet waits … and meanwhile
answers `/healthz` 200 and `/readyz` 503 naming what is missing"). The database not being there is
tested in tests/e2e/test_process_lifecycle.py; here Kafka is not there, and a migration is missing."""

import asyncio

import asyncpg
import pytest

from hubnet_common.service.settings import Settings
from hubnet_common.service.startup import wait_for_dependencies
from hubnet_referrals import bootstrap
from hubnet_referrals.settings import ReferralSettings
from tests.conftest import free_port, fresh_group_prefix
from tests.integration.served import get, serving, until_answer

pytestmark = pytest.mark.integration


async def test_with_kafka_unreachable_a_starting_service_is_alive_but_not_ready(new_database):
    nothing_there = f"127.0.0.1:{free_port()}"
    settings = Settings(pg_dsn=await new_database("readiness"), kafka_bootstrap=nothing_there, http_port=free_port())
    url = f"http://127.0.0.1:{settings.http_port}"
    waiting = asyncio.create_task(wait_for_dependencies(settings, max_backoff=1.0))
    try:
        status, checks = await until_answer(
            url, "/readyz", lambda status, body: status != 0 and body.get("kafka") != "not checked yet", timeout=30
        )
        assert status == 503
        assert checks["kafka"].startswith("unreachable") and checks["postgres"] == "ok"
        assert (await get(url, "/healthz"))[0] == 200
        assert not waiting.done()  # still waiting for Kafka, not crashed
    finally:
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)


async def test_with_a_migration_missing_a_running_service_is_not_ready_until_it_is_there(new_database, kafka_bootstrap):
    dsn = await new_database("readiness")
    settings = ReferralSettings(pg_dsn=dsn, kafka_bootstrap=kafka_bootstrap, group_prefix=fresh_group_prefix("ready"))
    async with serving(bootstrap.spec(settings), settings) as (url, _):
        status, checks = await get(url, "/readyz")
        assert status == 200 and set(checks.values()) == {"ok"} and {"postgres", "kafka", "migrations"} <= set(checks)

        conn = await asyncpg.connect(dsn)
        try:  # as a database restored from a backup taken before the latest migration would be
            latest = await conn.fetchrow(
                "DELETE FROM schema_migrations WHERE name = (SELECT max(name) FROM"
                " schema_migrations WHERE name LIKE 'hubnet_referrals.%') RETURNING *"
            )
            status, checks = await get(url, "/readyz")
            assert status == 503 and latest["name"] in checks["migrations"]
            assert checks["postgres"] == "ok" and checks["kafka"] == "ok"
            assert (await get(url, "/healthz"))[0] == 200
            await conn.execute("INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)", *latest)
        finally:
            await conn.close()
        assert (await get(url, "/readyz"))[0] == 200
