"""CPU time per process group, from /proc: what a phase of the bench cost in user + system seconds.

Throughput on a shared machine moves with everything else running on it; the CPU a referral costs
moves far less, so the bench prints it first (BENCHMARKS.md). The groups:
- each service process, by name;
- PostgreSQL: the backends connected to the phase's own databases (found in pg_stat_activity,
  sampled during the phase, since pools open connections as they go);
- the broker: the Kafka process of the local stack (shared with anything else using it);
- the load generator (this process) and the SMTP server, counted apart: they are not hubnet.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

TICKS = os.sysconf("SC_CLK_TCK")
# Beside the local broker's users file (the local stack's env names it), so a worktree finds it too.
_USERS = os.environ.get("HUBNET_LOCAL_KAFKA_USERS")
KAFKA_PID_FILE = Path(_USERS).parent / "kafka.pid" if _USERS else Path(".local/kafka/kafka.pid")


def cpu_seconds(pid: int) -> float | None:
    """User + system seconds the process has used, or None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = stat.rsplit(")", 1)[1].split()  # the name in parentheses may hold spaces
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14 and 15 of proc(5))


def broker_pid() -> int | None:
    with suppress(FileNotFoundError, ValueError):
        return int(KAFKA_PID_FILE.read_text().split()[0])
    return None


@dataclass
class Group:
    """CPU seconds of a set of processes between the first and the last time each was seen."""

    first: dict[int, float] = field(default_factory=dict)
    last: dict[int, float] = field(default_factory=dict)

    def see(self, pids: Iterable[int]) -> None:
        for pid in pids:
            used = cpu_seconds(pid)
            if used is not None:
                self.first.setdefault(pid, used)
                self.last[pid] = used

    @property
    def seconds(self) -> float:
        return sum(self.last[pid] - self.first[pid] for pid in self.last)


@dataclass
class CpuMeter:
    """Samples every `every` seconds while open; `per_unit(n)` gives milliseconds of CPU per unit of work."""

    processes: Mapping[str, int]  # group name -> pid
    server_dsn: str
    databases: tuple[str, ...]
    every: float = 0.25
    groups: dict[str, Group] = field(default_factory=dict)

    async def _backends(self, conn: asyncpg.Connection) -> list[int]:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = ANY($1::text[])", list(self.databases)
        )
        return [row["pid"] for row in rows]

    async def sample(self, conn: asyncpg.Connection) -> None:
        for name, pid in self.processes.items():
            self.groups.setdefault(name, Group()).see([pid])
        self.groups.setdefault("postgresql", Group()).see(await self._backends(conn))

    @asynccontextmanager
    async def measuring(self):
        conn = await asyncpg.connect(self.server_dsn)
        try:
            await self.sample(conn)

            async def keep_sampling() -> None:
                while True:
                    await asyncio.sleep(self.every)
                    await self.sample(conn)

            sampling = asyncio.create_task(keep_sampling())
            try:
                yield self
            finally:
                sampling.cancel()
                with suppress(asyncio.CancelledError):
                    await sampling
                await self.sample(conn)
        finally:
            await conn.close()

    def per_unit(self, units: int) -> dict[str, float | None]:
        """Milliseconds of CPU per unit for each group, and `hubnet` (services + PostgreSQL + broker)."""
        if units <= 0:
            return {name: None for name in [*self.groups, "hubnet"]}
        per = {name: round(group.seconds * 1000 / units, 3) for name, group in self.groups.items()}
        apart = {"load_generator", "smtp"}
        per["hubnet"] = round(sum(v for name, v in per.items() if name not in apart), 3)
        return per
