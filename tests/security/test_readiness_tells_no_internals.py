"""Attack: read a service's /readyz to learn its insides. It echoed the exception text of a failed
check: addresses, ports, user and database names. Outward it says only which part is missing."""

import asyncio

from hubnet_common.service.settings import Settings
from hubnet_common.service.startup import wait_for_dependencies
from tests.conftest import free_port
from tests.integration.served import until_answer


async def test_readyz_names_what_is_missing_and_nothing_of_why(new_database):
    port = free_port()
    dsn = (await new_database("probe")).replace("hubnet@", "hubnet:not-the-password@")
    settings = Settings(pg_dsn=dsn, kafka_bootstrap=f"127.0.0.1:{port}", http_port=free_port())
    url = f"http://127.0.0.1:{settings.http_port}"
    waiting = asyncio.create_task(wait_for_dependencies(settings, max_backoff=1.0))
    try:
        status, checks = await until_answer(
            url, "/readyz", lambda status, body: status != 0 and body.get("kafka") != "not checked yet", timeout=30
        )
    finally:
        waiting.cancel()
    assert status == 503
    assert checks["kafka"] == "unreachable"
    assert str(port) not in str(checks) and "127.0.0.1" not in str(checks)
    assert "hubnet" not in str(checks) and "Error" not in str(checks)  # no user, database or exception names
