"""Start-up to `/readyz` of each service alone, as a pod starts on a node of its own: on a new
database (its migrations run) and again on the same database (a restart). The three started at
once on this machine's two cores are measured by the throughput phase (`ready_s`)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bench.pipeline import service_env
from hubnet_common.ops.local.services import LocalServices
from tests.conftest import free_port

STARTS = ("new database", "restart")


async def alone(databases: dict[str, str], prefix: str, log_dir: Path, timeout: float) -> dict[str, dict[str, float]]:
    """{service: {"new database": s, "restart": s}}."""
    found: dict[str, dict[str, float]] = {}
    for name in databases:
        local = LocalServices(
            log_dir=log_dir,
            databases=databases,
            ports={name: free_port()},
            extra_env=service_env(prefix),
        )
        found[name] = {}
        for start in STARTS:
            try:
                ready = await asyncio.to_thread(local.start_all, timeout)
            finally:
                await asyncio.to_thread(local.stop_all)
            found[name][start] = round(ready[name], 2)
    return found
