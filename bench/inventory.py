"""What one referral costs hubnet in records, statements and mails, counted on the local stack
(`python -m bench.inventory`; with `--baseline`, the same for bench/baseline.py; BENCHMARKS.md,
"The work of one referral, and a baseline that does it").

The three services run with fresh topics and databases, as in `make bench`. The databases log
every statement (`log_statement = all`, set on them alone: the shared server is not restarted and
no other database logs more), and the statements in the server's log are counted per database
for a quiet window first, then for a window in which referrals are sent one by one, slowly
enough that each is a batch of its own. Records are counted per topic from the topics' end
offsets. Statements of the background loops (relay and delivery polls, SLA and reminder checks)
run in both windows; the quiet window's rate is taken off.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import time
import uuid
from collections import Counter
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from bench import baseline_setup
from bench.pipeline import SENDER, MailSink, running_network
from bench.run import RESULTS, SERVICES, baseline_processes, environment
from hubnet_common.ops.local.kafka_users import admin_login
from hubnet_common.ops.local.partners import LocalPartnerClient
from hubnet_common.ops.local.services import database_dsn
from hubnet_common.sdk.topics import ALL_TOPICS, on_broker
from tests.integration.referral_steps import referral

SERVER_LOG = Path(os.environ.get("HUBNET_PG_LOG", "/work/main/.local/logs/postgres.log"))
ENTRY = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \w+ \[(\d+)\] (\w+):\s+(.*)$")
STATEMENT = re.compile(r"^(?:statement|execute [^:]+): (.*)$", re.S)


async def end_offsets(bootstrap: str, prefix: str) -> dict[str, int]:
    """Records written so far to each of the environment's topics."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, **admin_login())
    await consumer.start()
    try:
        ends = await consumer.end_offsets(
            [TopicPartition(on_broker(t.name, prefix), p) for t in ALL_TOPICS for p in range(t.partitions)]
        )
    finally:
        await consumer.stop()
    found: Counter[str] = Counter()
    for tp, end in ends.items():
        found[tp.topic.removeprefix(prefix)] += end
    return dict(found)


class Backends:
    """Which server process serves which database: sampled, since pools open connections as they go."""

    def __init__(self, server_dsn: str, databases: dict[str, str]) -> None:
        self.server_dsn, self.names = server_dsn, {db: name for name, db in databases.items()}
        self.of: dict[int, str] = {}

    async def run(self) -> None:
        conn = await asyncpg.connect(self.server_dsn)
        try:
            while True:
                rows = await conn.fetch(
                    "SELECT pid, datname FROM pg_stat_activity WHERE datname = ANY($1::text[])", list(self.names)
                )
                self.of |= {row["pid"]: self.names[row["datname"]] for row in rows}
                await asyncio.sleep(0.05)
        finally:
            await conn.close()


def statements(text: str, backends: dict[int, str]) -> Counter[tuple[str, str]]:
    """(service, statement shape) counted from a piece of the server's log."""
    found: Counter[tuple[str, str]] = Counter()
    entries: list[tuple[int, str]] = []
    for line in text.splitlines():
        if match := ENTRY.match(line):
            pid, level, message = match.groups()
            entries.append((int(pid), message if level == "LOG" else ""))
        elif entries:
            pid, message = entries[-1]
            entries[-1] = (pid, f"{message} {line.strip()}")
    for pid, message in entries:
        if pid in backends and (match := STATEMENT.match(message)):
            found[(backends[pid], shape(match.group(1)))] += 1
    return found


def shape(statement: str) -> str:
    text = re.sub(r"\s+", " ", statement).strip()
    text = re.sub(r"'[0-9a-f-]{36}'", "'<id>'", text)
    return text[:150]


@asynccontextmanager
async def hubnet(bootstrap: str, names: dict[str, str], prefix: str):
    """(partner client, consent id, SMTP server) of the three services."""
    async with running_network(bootstrap, names, prefix, RESULTS / "logs") as net:
        yield net.client, await net.consent(), net.mail


@asynccontextmanager
async def baseline(bootstrap: str, names: dict[str, str], _prefix: str):
    """The same for the baseline's three processes (bench/baseline.py)."""
    dsns = {name: database_dsn(os.environ["HUBNET_PG_DSN"], database) for name, database in names.items()}
    consent_id = await baseline_setup.prepare(dsns)
    async with MailSink() as mail, baseline_processes(dsns, mail.port):
        async with LocalPartnerClient(bootstrap, SENDER) as client:
            yield client, consent_id, mail


async def count(args: argparse.Namespace) -> None:
    bootstrap, server = os.environ["HUBNET_KAFKA_BOOTSTRAP"], os.environ["HUBNET_PG_DSN"]
    async with environment("inv", SERVICES) as (prefix, names):
        conn = await asyncpg.connect(server)
        for database in names.values():
            await conn.execute(f"ALTER DATABASE \"{database}\" SET log_statement = 'all'")
        backends = Backends(server, names)
        sampling = asyncio.create_task(backends.run())
        try:
            async with (baseline if args.baseline else hubnet)(bootstrap, names, prefix) as (client, consent_id, mail):
                await asyncio.sleep(3)  # what came before settles
                windows = {}
                for window in ("quiet", "referrals"):
                    records, at, began = await end_offsets(bootstrap, prefix), log_size(), time.time()
                    mails = mail.mails
                    if window == "referrals":
                        for _ in range(args.referrals):
                            command = referral(consent_id, referral_id=f"R-i-{uuid.uuid4().hex[:16]}")
                            await client.request(command)
                            await asyncio.sleep(1 / args.rate)
                        deadline = time.monotonic() + 30
                        while mail.mails - mails < 2 * args.referrals and time.monotonic() < deadline:
                            await asyncio.sleep(0.2)
                        await asyncio.sleep(3)  # the delivered facts relayed
                    else:
                        await asyncio.sleep(args.quiet)
                    windows[window] = (
                        time.time() - began,
                        statements(await asyncio.to_thread(log_since, at), backends.of),
                        {t: n - records.get(t, 0) for t, n in (await end_offsets(bootstrap, prefix)).items()},
                        mail.mails - mails,
                    )
        finally:
            sampling.cancel()
            await conn.close()
    report(windows, args.referrals)


def log_size() -> int:
    return SERVER_LOG.stat().st_size


def log_since(at: int) -> str:
    with SERVER_LOG.open(errors="replace") as log:
        log.seek(at)
        return log.read()


def report(windows: dict, referrals: int) -> None:
    quiet_s, quiet, _, _ = windows["quiet"]
    load_s, load, records, mails = windows["referrals"]
    print(f"{referrals} referrals in {load_s:.1f} s (quiet window {quiet_s:.1f} s); mails {mails}")
    print("\nrecords per referral, per topic:")
    for topic, n in sorted(records.items()):
        if n:
            print(f"  {n / referrals:6.2f}  {topic}")
    print("\nstatements per referral (quiet rate taken off), per service:")
    for (service, text), n in sorted(load.items()):
        idle = quiet.get((service, text), 0) * load_s / quiet_s
        print(f"  {(n - idle) / referrals:6.2f}  ({n:4d} - idle {idle:6.1f})  {service:<13} {text}")


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, default=20)
    parser.add_argument("--rate", type=float, default=2.0, help="referrals a second (each waits for its answer)")
    parser.add_argument("--quiet", type=float, default=10.0, help="seconds of the quiet window")
    parser.add_argument("--baseline", action="store_true", help="count the baseline's work (bench/baseline.py)")
    asyncio.run(count(parser.parse_args()))


if __name__ == "__main__":
    cli()
