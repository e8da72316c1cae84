"""`make bench`: hubnet beside a raw Kafka/PostgreSQL baseline, in the same run (BENCHMARKS.md).

Each phase has topics and databases of its own (deleted afterwards), so one phase's backlog does
not slow the next. Prints one table and writes it as JSON under .local/bench/.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import re
import statistics
import time
import uuid
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from bench import catchup, portal, raw
from bench.pipeline import running_network
from hubnet_common.ops.local.kafka_users import environment as kafka_environment
from hubnet_common.ops.local.services import LocalServices, database_dsn
from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.identity import service_source
from hubnet_common.sdk.messages.referral_events import ReferralRequested
from hubnet_common.sdk.signing import Signer
from hubnet_common.service.runtime import service_signer
from hubnet_common.service.settings import Settings

RESULTS = Path(".local/bench")
SERVICES = ("referrals", "events", "notifications")


def sample_fact(referral_id: str, signer: Signer, at: datetime | None = None) -> tuple[bytes, list]:
    """A real `referral.requested` fact as the referrals service publishes it: body and signed headers."""
    fact = ReferralRequested(
        referral_id=referral_id,
        version=1,
        status="requested",
        sender_partner_id="bostadsbolaget",
        receiver_partner_id="brg",
        service_id="brg-business-coaching",
        hub_id="hjallbo",
        actor_partner_id="bostadsbolaget",
        at=datetime.now(UTC),
        participant_ref="ab" * 32,
        purpose="own-business",
        consent_id="C-bench",
    )
    envelope = Envelope.new(type=fact.ce_type, source=service_source("referrals"), subject=referral_id)
    envelope = replace(envelope, time=at) if at else envelope
    body = fact.model_dump_json().encode()
    return body, signer.sign(fact.topic, referral_id.encode(), envelope.to_headers(), body)


@asynccontextmanager
async def environment(label: str, databases: tuple[str, ...]):
    """Fresh topics (a prefix of their own) and databases; yields (prefix, {name: database})."""
    bootstrap, server = os.environ["HUBNET_KAFKA_BOOTSTRAP"], os.environ["HUBNET_PG_DSN"]
    run = uuid.uuid4().hex[:6]
    prefix = f"bench{re.sub('[^a-z]', '', label)}-{run}."  # an environment's prefix (local.kafka_users)
    names = {name: f"bench_{label.replace('-', '_')}_{name}_{run}" for name in databases}
    conn = await asyncpg.connect(server)
    for name in names.values():
        await conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["HUBNET_TOPIC_PREFIX"] = prefix  # read by the services and clients it starts
    try:
        async with kafka_environment(bootstrap, topic_prefix=prefix, group_prefix=f"{prefix}hubnet"):
            yield prefix, names
    finally:
        os.environ.pop("HUBNET_TOPIC_PREFIX", None)
        for name in names.values():
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


def percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    ordered = sorted(values)
    at = lambda q: round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)  # noqa: E731
    return {"p50": round(statistics.median(ordered), 1), "p95": at(0.95), "p99": at(0.99), "max": round(ordered[-1], 1)}


def rss_mb(local: LocalServices) -> dict[str, float]:
    found = {}
    for name, process in local.processes.items():
        status = Path(f"/proc/{process.pid}/status").read_text()
        kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
        found[name] = round(kb / 1024, 1)
    return found


async def raw_phase(records: int) -> dict:
    bootstrap = os.environ["HUBNET_KAFKA_BOOTSTRAP"]
    value, headers = sample_fact("R-raw-0000000000000000", service_signer("referrals", Settings()))
    async with environment("raw", ("raw",)) as (prefix, names):
        dsn = database_dsn(os.environ["HUBNET_PG_DSN"], names["raw"])
        return {
            "record_bytes": len(value) + sum(len(n) + len(v) for n, v in headers),
            "produce_consume": await raw.produce_consume(bootstrap, prefix, records, value, headers),
            "consume_store_publish": await raw.consume_store_publish(bootstrap, prefix, dsn, records, value, headers),
        }


async def latency_phase(rate: float, seconds: float, drain: float) -> dict:
    async with environment(f"lat{int(rate)}", SERVICES) as (prefix, names):
        async with running_network(os.environ["HUBNET_KAFKA_BOOTSTRAP"], names, prefix, RESULTS / "logs") as net:
            consent_id = await net.consent()
            timeline = await net.offer(consent_id, rate, seconds)
            await net.drain(timeline, drain)
    to_fact = [(timeline.published[r] - t) * 1000 for r, t in timeline.sent.items() if r in timeline.published]
    to_mail = [(net.mail.first[r] - t) * 1000 for r, t in timeline.sent.items() if r in net.mail.first]
    return {
        "offered_per_s": rate,
        "sent": len(timeline.sent),
        "delivered": len(to_mail),
        "command_to_fact_ms": percentiles(to_fact),
        "command_to_mail_ms": percentiles(to_mail),
    }


async def throughput_phase(rate: float, seconds: float) -> dict:
    """Offer more than the pipeline can take for `seconds`; count what came out in that time."""
    async with environment("tput", SERVICES) as (prefix, names):
        async with running_network(os.environ["HUBNET_KAFKA_BOOTSTRAP"], names, prefix, RESULTS / "logs") as net:
            idle = rss_mb(net.local)
            consent_id = await net.consent()
            peak: dict[str, float] = {}

            async def sample() -> None:
                while True:
                    for name, mb in rss_mb(net.local).items():
                        peak[name] = max(peak.get(name, 0.0), mb)
                    await asyncio.sleep(0.5)

            sampling = asyncio.create_task(sample())
            began = time.time()
            timeline = await net.offer(consent_id, rate, seconds)
            await asyncio.sleep(max(0.0, began + seconds - time.time()))
            sampling.cancel()
            mailed = sum(1 for t in net.mail.first.values() if t <= began + seconds)
            ready = net.ready
    return {
        "offered_per_s": rate,
        "seconds": seconds,
        "sent": len(timeline.sent),
        "delivered_per_s": round(mailed / seconds, 1),
        "ready_s": {name: round(s, 2) for name, s in ready.items()},
        "rss_mb": {"idle": idle, "under_load": peak},
    }


async def portal_phase(referrals: int, requests: int) -> dict:
    """The staff portal's worklist and referral pages with `referrals` of one partner's (bench/portal.py)."""
    async with environment("portal", ("referrals", "notifications")) as (prefix, names):
        async with running_network(os.environ["HUBNET_KAFKA_BOOTSTRAP"], names, prefix, RESULTS / "logs") as net:
            dsn = database_dsn(os.environ["HUBNET_PG_DSN"], names["referrals"])
            measured = await portal.pages(net, dsn, referrals, requests)
    return {
        **{k: v for k, v in measured.items() if not k.endswith("_ms")},
        "worklist_ms": percentiles(measured["worklist_ms"]),
        "referral_ms": percentiles(measured["referral_ms"]),
    }


PHASES = ("raw", "latency", "throughput", "catch-up", "portal")


async def main(args: argparse.Namespace) -> dict:
    began = time.monotonic()
    result: dict = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}",
    }
    if "raw" in args.phases:
        result["raw"] = await raw_phase(args.raw_records)
    if "latency" in args.phases:
        result["latency"] = [await latency_phase(rate, args.latency_seconds, args.drain_seconds) for rate in args.rates]
    if "throughput" in args.phases:
        result["throughput"] = await throughput_phase(args.offered, args.seconds)
    if "catch-up" in args.phases:
        signer = service_signer("referrals", Settings())
        async with environment("catchup", ("notifications",)) as (prefix, names):
            history = datetime.now(UTC) - timedelta(days=30)  # a replay reads what happened long ago
            facts = (sample_fact(f"R-c-{i:016x}", signer, history) for i in range(args.catchup_facts))
            result["catch_up"] = await catchup.replay(
                os.environ["HUBNET_KAFKA_BOOTSTRAP"], prefix, names, facts, args.catchup_seconds
            )
    if "portal" in args.phases:
        result["portal"] = await portal_phase(args.portal_referrals, args.portal_requests)
    if "raw" in result and "throughput" in result:
        csp = result["raw"]["consume_store_publish"]["per_second"]
        result["pipeline_to_raw"] = round(result["throughput"]["delivered_per_s"] / csp, 4)
    result["took_s"] = round(time.monotonic() - began)
    return result


def table(result: dict) -> str:
    lines = [f"hubnet bench {result['at']} on {result['machine']}", "", f"{'measure':<52} {'value':>12}  notes"]
    if {"raw", "latency", "throughput", "catch_up"} <= result.keys():
        lines.extend(pipeline_table(result))
    if "portal" in result:
        lines.extend(portal_table(result["portal"]))
    return "\n".join(lines)


def portal_table(found: dict) -> list[str]:
    lines = []
    for page, key in (("worklist", "worklist_ms"), ("a referral's page", "referral_ms")):
        ms = found[key]
        figures = f"{ms['p50']}/{ms['p95']}/{ms['p99']}/{ms['max']} ms"
        lines.append(
            f"{'portal ' + page + ': server time p50/p95/p99/max':<52} {figures}"
            f"  target p95 <= 200 ms; {found['requests']} requests, {found['referrals']} referrals of the partner's"
        )
    lines.append(
        f"{'  worklist rows shown / bytes':<52} {found['worklist_rows_shown']} / {found['worklist_bytes']}"
        f"  (seeded through the pipeline in {found['seeded_s']} s)"
    )
    return lines


def pipeline_table(result: dict) -> list[str]:
    raw_ = result["raw"]
    lines = [
        f"{'raw produce -> consume':<52} {raw_['produce_consume']['per_second']:>10}/s  "
        f"{raw_['produce_consume']['records']} records of {raw_['record_bytes']} B",
        f"{'raw consume -> store (tx/batch) -> publish':<52} {raw_['consume_store_publish']['per_second']:>10}/s",
        f"{'hubnet command -> fact -> mail, sustained':<52} {result['throughput']['delivered_per_s']:>10}/s  "
        f"offered {result['throughput']['offered_per_s']}/s for {result['throughput']['seconds']} s",
        f"{'  ratio to the raw consume-store-publish loop':<52} {result['pipeline_to_raw']:>12.1%}  target >= 40%",
    ]
    for lat in result["latency"]:
        mail, fact = lat["command_to_mail_ms"], lat["command_to_fact_ms"]
        lines.append(
            f"{'latency at ' + str(int(lat['offered_per_s'])) + '/s: command -> mail p50/p95/p99/max':<52} "
            f"{mail['p50']}/{mail['p95']}/{mail['p99']}/{mail['max']} ms  "
            f"(-> fact p99 {fact['p99']} ms; {lat['delivered']}/{lat['sent']} delivered)"
        )
    catch = result["catch_up"]
    lines.append(
        f"{'catch-up: a fresh notifications replaying facts':<52} {catch['per_second']:>10}/s  "
        f"{catch['processed']}/{catch['facts']} in {catch['seconds']} s (start included; all: "
        f"{catch['all_in_s']} s); mails sent {catch['mails']}"
    )
    tput = result["throughput"]
    for name in SERVICES:
        lines.append(
            f"{'  ' + name + ': ready / RSS idle / RSS under load':<52} "
            f"{tput['ready_s'][name]} s / {tput['rss_mb']['idle'][name]} / "
            f"{tput['rss_mb']['under_load'].get(name)} MB"
        )
    return lines


def cli() -> None:
    logging.basicConfig(level=logging.ERROR)  # aiokafka's retries while a new topic gets its leader
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw-records", type=int, default=20_000)
    parser.add_argument("--rates", type=float, nargs="*", default=[50.0, 200.0, 1000.0])
    parser.add_argument("--latency-seconds", type=float, default=10.0, help="how long each rate is offered")
    parser.add_argument("--drain-seconds", type=float, default=30.0)
    parser.add_argument("--offered", type=float, default=400.0, help="offered rate of the throughput phase")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the throughput phase")
    parser.add_argument("--catchup-facts", type=int, default=1_000_000)
    parser.add_argument("--catchup-seconds", type=float, default=120.0, help="stop the catch-up after this long")
    parser.add_argument("--portal-referrals", type=int, default=1_000, help="the partner's referrals the portal lists")
    parser.add_argument("--portal-requests", type=int, default=300, help="requests of each portal page")
    parser.add_argument("--phases", nargs="*", choices=PHASES, default=list(PHASES))
    result = asyncio.run(main(parser.parse_args()))
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = result["at"].replace(":", "").replace("-", "")
    for path in (RESULTS / f"bench-{stamp}.json", RESULTS / "latest.json"):
        path.write_text(json.dumps(result, indent=2))
    print(table(result))
    print(f"\nwritten to {RESULTS / 'latest.json'}")


if __name__ == "__main__":
    cli()
