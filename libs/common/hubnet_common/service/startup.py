"""Start-up when PostgreSQL or Kafka are not there yet (a cluster coming up, a database restarting):
the process waits with capped backoff instead of crash-looping, and meanwhile answers `/healthz`
(alive) and `/readyz` (503, saying which dependency is missing) on its HTTP port."""

from __future__ import annotations

import asyncio
import json

import asyncpg
import structlog
import uvicorn
from aiokafka.admin import AIOKafkaAdminClient

from hubnet_common.service.kafka_security import client_security
from hubnet_common.service.settings import Settings

log = structlog.get_logger(__name__)
UNREACHABLE = "unreachable"


async def dependencies(settings: Settings) -> dict[str, str]:
    """'ok' or 'unreachable' per dependency; why is logged, never answered (/readyz is read from outside)."""
    checks: dict[str, str] = {}
    try:
        conn = await asyncpg.connect(settings.pg_dsn, timeout=3)
        await conn.close()
        checks["postgres"] = "ok"
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        checks["postgres"] = UNREACHABLE
        log.warning("postgres unreachable", error=repr(exc))
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap, request_timeout_ms=3000, **client_security(settings)
    )
    try:
        await asyncio.wait_for(admin.start(), 5)
        await asyncio.wait_for(admin.list_topics(), 5)
        checks["kafka"] = "ok"
    except Exception as exc:  # noqa: BLE001 - aiokafka raises several kinds; any of them means not there yet
        checks["kafka"] = UNREACHABLE
        log.warning("kafka unreachable", error=repr(exc))
    finally:
        await admin.close()
    return checks


class _Waiting:
    """The ASGI app served while waiting: alive, not ready."""

    def __init__(self) -> None:
        self.checks: dict[str, str] = {"postgres": "not checked yet", "kafka": "not checked yet"}

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        status, body = (200, b"ok") if scope["path"] == "/healthz" else (503, json.dumps(self.checks).encode())
        await send(
            {"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]}
        )
        await send({"type": "http.response.body", "body": body})


async def wait_for_dependencies(settings: Settings, *, max_backoff: float = 15.0) -> None:
    """Return once PostgreSQL and Kafka both answer; serve health meanwhile."""
    checks = await dependencies(settings)
    if all(v == "ok" for v in checks.values()):
        return
    waiting = _Waiting()
    server = uvicorn.Server(
        uvicorn.Config(
            waiting,
            host=settings.http_host,
            port=settings.http_port,
            log_level="warning",
            log_config=None,
            lifespan="off",
        )
    )
    serving = asyncio.create_task(server.serve())
    delay = 0.5
    try:
        while not all(v == "ok" for v in checks.values()):
            waiting.checks = checks
            log.warning("waiting for dependencies", retry_in=delay, **checks)
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_backoff)
            checks = await dependencies(settings)
        log.info("dependencies answer", **checks)
    finally:
        server.should_exit = True
        await serving
