"""Benchmark: latency from a referral fact on Kafka to the SMTP server accepting the staff mail.

The notifications service runs as its own process against the local Kafka and PostgreSQL (a fresh
database); the SMTP server is an in-process aiosmtpd that notes when it accepts each mail. Facts
are published at a steady rate; each `referral.requested` to BRG at Hjällbo means two mails (Sara
and Johan). Prints median, p95, p99 and max, and writes them as JSON under .local/bench/.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaProducer
from aiosmtpd.controller import Controller
from hubnet_common.envelope import Envelope, service_source
from hubnet_common.kafka import delete_topics, ensure_topics
from hubnet_common.local.credentials import login
from hubnet_common.local.kafka_users import admin_login, grant, revoke
from hubnet_common.local.services import LocalServices
from hubnet_common.messages.referral_events import ReferralRequested
from hubnet_common.topics import on_broker

from tests.conftest import free_port

RESULTS = Path(".local/bench")


class AcceptTimes:
    """aiosmtpd handler: when each (referral id, recipient) mail was accepted."""

    def __init__(self) -> None:
        self.accepted: dict[tuple[str, str], float] = {}

    async def handle_DATA(self, server, session, envelope) -> str:
        now = time.monotonic()
        found = re.search(rb"R-bench-[0-9a-f]+", envelope.original_content or b"")
        if found:
            for rcpt in envelope.rcpt_tos:
                self.accepted[(found.group().decode(), rcpt)] = now
        return "250 OK"


def fact(referral_id: str) -> ReferralRequested:
    return ReferralRequested(
        referral_id=referral_id, version=1, status="requested", sender_partner_id="bostadsbolaget",
        receiver_partner_id="brg", service_id="brg-business-coaching", hub_id="hjallbo",
        actor_partner_id="bostadsbolaget", at=datetime.now(UTC), participant_ref="ab" * 32, purpose="own-business",
        consent_id="C-bench",
    )


async def publish(bootstrap: str, count: int, rate: float) -> dict[str, float]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0, **login("hubnet-referrals"))  # its facts
    prefix = os.environ["HUBNET_TOPIC_PREFIX"]
    await producer.start()
    sent: dict[str, float] = {}
    try:
        began = time.monotonic()
        for i in range(count):
            await asyncio.sleep(max(0.0, began + i / rate - time.monotonic()))
            body = fact(f"R-bench-{uuid.uuid4().hex[:12]}")
            envelope = Envelope.new(type=body.ce_type, source=service_source("referrals"), subject=body.referral_id)
            sent[body.referral_id] = time.monotonic()
            await producer.send_and_wait(on_broker(body.topic, prefix), body.model_dump_json().encode(),
                                         key=body.referral_id.encode(), headers=envelope.to_headers())
    finally:
        await producer.stop()
    return sent


async def run(count: int, rate: float, keep_database: bool = False) -> dict:
    bootstrap, server_dsn = os.environ["HUBNET_KAFKA_BOOTSTRAP"], os.environ["HUBNET_PG_DSN"]
    database = f"bench_notifications_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(server_dsn)
    await conn.execute(f'CREATE DATABASE "{database}"')
    times = AcceptTimes()
    smtp = Controller(times, hostname="127.0.0.1", port=free_port())
    smtp.start()
    prefix = f"bench-{uuid.uuid4().hex[:6]}."
    os.environ["HUBNET_TOPIC_PREFIX"] = prefix  # topics of its own, read by the service it starts
    await ensure_topics(bootstrap, prefix=prefix, **admin_login())
    await grant(bootstrap, topic_prefix=prefix, group_prefix=f"{prefix}hubnet")
    service = LocalServices(
        log_dir=RESULTS / "logs", databases={"notifications": database}, ports={"notifications": free_port()},
        extra_env={"HUBNET_GROUP_PREFIX": f"{prefix}hubnet", "HUBNET_SMTP_PORT": str(smtp.port), "HUBNET_LOG_LEVEL": "WARNING"},
    )
    try:
        ready = (await asyncio.to_thread(service.start_all))["notifications"]
        sent = await publish(bootstrap, count, rate)
        expected = {(rid, rcpt) for rid in sent for rcpt in ("sara.nilsson@brg.example.org", "johan.berg@brg.example.org")}
        deadline = time.monotonic() + 120
        while not expected <= times.accepted.keys() and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        latencies = sorted((times.accepted[key] - sent[key[0]]) * 1000 for key in expected if key in times.accepted)
    finally:
        await asyncio.to_thread(service.stop_all)
        smtp.stop()
        if not keep_database:
            await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            await delete_topics(bootstrap, prefix, **admin_login())
            await revoke(bootstrap, prefix)
        await conn.close()
    return {
        "benchmark": "fact on referral.events.v1 -> SMTP accept (notifications service)",
        "facts": count, "offered_rate_per_s": rate, "mails_expected": len(expected), "mails_accepted": len(latencies),
        "ready_seconds": round(ready, 2),
        "latency_ms": {
            "median": round(statistics.median(latencies), 1),
            "p95": round(latencies[int(0.95 * (len(latencies) - 1))], 1),
            "p99": round(latencies[int(0.99 * (len(latencies) - 1))], 1),
            "max": round(latencies[-1], 1),
        },
        "database": database,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facts", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=100.0, help="facts published per second")
    parser.add_argument("--keep-database", action="store_true", help="leave the database for inspection")
    args = parser.parse_args()
    result = asyncio.run(run(args.facts, args.rate, args.keep_database))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "notification-latency.json").write_text(json.dumps(result, indent=2))
    lat = result["latency_ms"]
    print(f"{'benchmark':<58} {'facts':>6} {'mails':>6} {'median':>8} {'p95':>8} {'p99':>8} {'max':>8}")
    print(f"{'fact -> SMTP accept, ' + str(args.rate) + '/s offered':<58} {result['facts']:>6} "
          f"{result['mails_accepted']:>6} {lat['median']:>6}ms {lat['p95']:>6}ms {lat['p99']:>6}ms {lat['max']:>6}ms")
    print(f"written to {RESULTS / 'notification-latency.json'}")


if __name__ == "__main__":
    main()
