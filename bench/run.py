"""`make bench`: hubnet beside a raw Kafka/PostgreSQL baseline, in the same run (BENCHMARKS.md).

The throughput phase's CPU per referral is printed first, beside that of a work-equivalent
baseline (bench/baseline.py) offered the same load: their ratio is what hubnet's framework costs
on top of the work itself. `--cost-only` runs just those two phases.

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
import sys
import time
import uuid
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from bench import baseline_setup, catchup, portal, raw, startup
from bench.cpu import CpuMeter, broker_pid
from bench.pipeline import LOG_LEVEL_VAR, SENDER, START_TIMEOUT_S, MailSink, offer, running_network
from hubnet_common.ops.local.kafka_users import admin_login
from hubnet_common.ops.local.kafka_users import environment as kafka_environment
from hubnet_common.ops.local.partners import LocalPartnerClient
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


async def throughput_phase(rate: float, seconds: float, drain: float) -> dict:
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
            offered = await offer_measured(
                cpu_meter(net, names), net.client, net.mail, consent_id, rate, seconds, drain
            )
            sampling.cancel()
            ready = net.ready
    return {
        "offered_per_s": rate,
        "seconds": seconds,
        **offered,
        "ready_s": {name: round(s, 2) for name, s in ready.items()},
        "rss_mb": {"idle": idle, "under_load": peak},
    }


async def offer_measured(
    meter: CpuMeter, client, mail: MailSink, consent_id: str, rate: float, seconds: float, drain: float
) -> dict:
    """Offer `rate` referrals a second for `seconds`: what was delivered in that time, and the CPU
    per referral, measured until every referral sent has its mail (or `drain` seconds more). Cut
    at the end of the offer, the CPU would include the work on referrals still in the pipeline,
    and divide it by the few that were through. The polling of idle loops is counted in: at a
    low rate it is a large part of the figure."""
    async with meter.measuring():
        began = time.time()
        timeline = await offer(client, consent_id, rate, seconds)
        await asyncio.sleep(max(0.0, began + seconds - time.time()))
        in_time = sum(1 for t in mail.first.values() if t <= began + seconds)
        deadline = time.monotonic() + drain
        while time.monotonic() < deadline and not timeline.sent.keys() <= mail.first.keys():
            await asyncio.sleep(0.2)
    mailed, measured = len(timeline.sent.keys() & mail.first.keys()), time.time() - began
    return {
        "sent": len(timeline.sent),
        "delivered_per_s": round(in_time / seconds, 1),
        "mailed_in_the_end": mailed,
        "measured_s": round(measured, 1),
        "cpu_ms_per_referral": meter.per_unit(mailed),
    }


async def baseline_phase(rate: float, seconds: float, drain: float) -> dict:
    """hubnet's work per referral done by plain code (bench/baseline.py), offered as the
    throughput phase is and measured the same way."""
    bootstrap, server = os.environ["HUBNET_KAFKA_BOOTSTRAP"], os.environ["HUBNET_PG_DSN"]
    async with environment("base", SERVICES) as (_, names):
        dsns = {name: database_dsn(server, database) for name, database in names.items()}
        consent_id = await baseline_setup.prepare(dsns)
        async with MailSink() as mail, baseline_processes(dsns, mail.port) as pids:
            async with LocalPartnerClient(bootstrap, SENDER) as client:
                processes = pids | {"load_generator": os.getpid(), "smtp": mail.pid}
                if (broker := broker_pid()) is not None:
                    processes["broker"] = broker
                meter = CpuMeter(processes, server, tuple(names.values()))
                offered = await offer_measured(meter, client, mail, consent_id, rate, seconds, drain)
                mails = mail.mails
    return {
        "offered_per_s": rate,
        "seconds": seconds,
        **offered,
        "mails_per_referral": round(mails / max(offered["mailed_in_the_end"], 1), 2),
    }


@asynccontextmanager
async def baseline_processes(dsns: dict[str, str], smtp_port: int):
    """The three baseline processes, started together; yields their pids once each is consuming."""
    env = os.environ | {"BASELINE_KAFKA_LOGIN": json.dumps(admin_login()), "HUBNET_SMTP_PORT": str(smtp_port)}
    started = {
        name: await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.baseline",
            name,
            env=env | {"BASELINE_DSN": dsn},
            stdout=asyncio.subprocess.PIPE,
        )
        for name, dsn in dsns.items()
    }
    try:
        for name, process in started.items():
            line = await asyncio.wait_for(process.stdout.readline(), 60)  # type: ignore[union-attr]
            if line.strip() != b"ready":
                raise RuntimeError(f"the baseline {name} did not start")
        yield {name: process.pid for name, process in started.items()}
    finally:
        for process in started.values():
            if process.returncode is None:
                process.terminate()
            await process.wait()


def cpu_meter(net, databases: dict[str, str]) -> CpuMeter:
    """CPU of the services, their databases' backends, the broker, and apart the load and the SMTP server."""
    processes = {name: process.pid for name, process in net.local.processes.items()}
    processes |= {"load_generator": os.getpid(), "smtp": net.mail.pid}
    if (broker := broker_pid()) is not None:
        processes["broker"] = broker
    return CpuMeter(processes, os.environ["HUBNET_PG_DSN"], tuple(databases.values()))


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


async def startup_phase() -> dict:
    """Each service alone to `/readyz`, on a new database and restarted (bench/startup.py)."""
    async with environment("startup", SERVICES) as (prefix, names):
        return await startup.alone(names, prefix, RESULTS / "logs" / "startup", START_TIMEOUT_S)


async def catch_up_phase(facts: int, seconds: float) -> dict:
    """A fresh notifications instance replaying `facts` month-old referral facts (bench/catchup.py)."""
    signer = service_signer("referrals", Settings())
    async with environment("catchup", ("notifications",)) as (prefix, names):
        history = datetime.now(UTC) - timedelta(days=30)  # a replay reads what happened long ago
        made = (sample_fact(f"R-c-{i:016x}", signer, history) for i in range(facts))
        return await catchup.replay(os.environ["HUBNET_KAFKA_BOOTSTRAP"], prefix, names, made, seconds)


async def main(args: argparse.Namespace) -> dict:
    began = time.monotonic()
    result = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}",
        "log_level": args.log_level,
    }
    if args.startup_only:
        result["startup"] = await startup_phase()
        result["took_s"] = round(time.monotonic() - began)
        return result
    if args.catchup_only:
        result["catch_up"] = await catch_up_phase(args.catchup_facts, args.catchup_seconds)
        result["took_s"] = round(time.monotonic() - began)
        return result
    if not args.cost_only:
        result["portal"] = await portal_phase(args.portal_referrals, args.portal_requests)
    if args.portal_only:
        result["took_s"] = round(time.monotonic() - began)
        return result
    if not args.cost_only:
        result["raw"] = await raw_phase(args.raw_records)
        result["latency"] = [await latency_phase(rate, args.latency_seconds, args.drain_seconds) for rate in args.rates]
    result["throughput"] = await throughput_phase(args.offered, args.seconds, args.cost_drain_seconds)
    result["baseline"] = await baseline_phase(args.offered, args.seconds, args.cost_drain_seconds)
    hubnet_ms = result["throughput"]["cpu_ms_per_referral"]["hubnet"]
    baseline_ms = result["baseline"]["cpu_ms_per_referral"]["hubnet"]
    result["hubnet_to_baseline_cpu"] = round(hubnet_ms / baseline_ms, 2) if hubnet_ms and baseline_ms else None
    if not args.cost_only:
        result["startup"] = await startup_phase()
        result["catch_up"] = await catch_up_phase(args.catchup_facts, args.catchup_seconds)
        csp = result["raw"]["consume_store_publish"]["per_second"]
        result["pipeline_to_raw"] = round(result["throughput"]["delivered_per_s"] / csp, 4)
    result["took_s"] = round(time.monotonic() - began)
    return result


def cost_lines(result: dict) -> list[str]:
    """CPU per referral, hubnet's and the baseline's, in total and per process."""
    cpu, base = result["throughput"]["cpu_ms_per_referral"], result["baseline"]["cpu_ms_per_referral"]
    ratio = lambda a, b: f"{a / b:.1f}x" if a and b else "-"  # noqa: E731
    lines = [
        f"{'CPU per referral (ms)':<52} {'hubnet':>9} {'baseline':>9} {'ratio':>7}",
        f"{'  services + PostgreSQL + broker':<52} {cpu['hubnet']:>9} {base['hubnet']:>9} "
        f"{ratio(cpu['hubnet'], base['hubnet']):>7}  target <= 3 ms",
    ]
    for name in [*SERVICES, "postgresql", "broker"]:
        if name in cpu or name in base:
            a, b = cpu.get(name), base.get(name)
            lines.append(f"{'  ' + name:<52} {a!s:>9} {b!s:>9} {ratio(a, b):>7}")
    for name in ("load_generator", "smtp"):
        lines.append(f"{'  apart: ' + name.replace('_', ' '):<52} {cpu.get(name)!s:>9} {base.get(name)!s:>9}")
    lines.append(f"{'baseline CPU per referral':<52} {base['hubnet']:>9} ms")
    lines.append(f"{'hubnet / baseline ratio':<52} {result['hubnet_to_baseline_cpu']!s:>9}")
    tput, baseline = result["throughput"], result["baseline"]
    lines.append(
        f"{'delivered/s (offered ' + str(tput['offered_per_s']) + '/s for ' + str(tput['seconds']) + ' s)':<52} "
        f"{tput['delivered_per_s']:>9} {baseline['delivered_per_s']:>9}  "
        f"(baseline: {baseline['mails_per_referral']} mails per referral)"
    )
    lines.append(
        f"{'  CPU counted over (s) / referrals mailed of those sent':<52} "
        f"{tput['measured_s']} s, {tput['mailed_in_the_end']}/{tput['sent']}; "
        f"baseline {baseline['measured_s']} s, {baseline['mailed_in_the_end']}/{baseline['sent']}"
    )
    return lines


def portal_lines(found: dict) -> list[str]:
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


def catch_up_lines(catch: dict) -> list[str]:
    return [
        f"{'catch-up: a fresh notifications replaying facts':<52} {catch['per_second']:>10}/s  "
        f"{catch['processed']}/{catch['facts']} in {catch['seconds']} s (start included; all: "
        f"{catch['all_in_s']} s); mails sent {catch['mails']}  target >= 5000/s"
    ]


def startup_lines(found: dict) -> list[str]:
    return [
        f"{'  ' + name + ': alone to /readyz, ' + ' / '.join(startup.STARTS):<52} "
        f"{' / '.join(str(found[name][start]) for start in startup.STARTS)} s  target <= 3 s"
        for name in found
    ]


def table(result: dict) -> str:
    lines = [f"hubnet bench {result['at']} on {result['machine']}", ""]
    if "startup" in result and "throughput" not in result:
        return "\n".join(lines + startup_lines(result["startup"]))
    if "throughput" in result:
        lines += cost_lines(result)
    if "portal" in result:
        lines += ["", *portal_lines(result["portal"])]
    if "throughput" not in result:
        return "\n".join(lines + (catch_up_lines(result["catch_up"]) if "catch_up" in result else []))
    if "raw" in result:
        raw_ = result["raw"]
        lines += [
            "",
            f"{'measure':<52} {'value':>12}  notes",
            f"{'raw produce -> consume':<52} {raw_['produce_consume']['per_second']:>10}/s  "
            f"{raw_['produce_consume']['records']} records of {raw_['record_bytes']} B",
            f"{'raw consume -> store (tx/batch) -> publish':<52} {raw_['consume_store_publish']['per_second']:>10}/s",
            f"{'hubnet command -> fact -> mail, sustained':<52} {result['throughput']['delivered_per_s']:>10}/s  "
            f"offered {result['throughput']['offered_per_s']}/s for {result['throughput']['seconds']} s",
            f"{'  ratio to the raw consume-store-publish loop':<52} {result['pipeline_to_raw']:>12.1%}  target >= 40%",
        ]
    for lat in result.get("latency", []):
        mail, fact = lat["command_to_mail_ms"], lat["command_to_fact_ms"]
        lines.append(
            f"{'latency at ' + str(int(lat['offered_per_s'])) + '/s: command -> mail p50/p95/p99/max':<52} "
            f"{mail['p50']}/{mail['p95']}/{mail['p99']}/{mail['max']} ms  "
            f"(-> fact p99 {fact['p99']} ms; {lat['delivered']}/{lat['sent']} delivered)"
        )
    if "catch_up" in result:
        lines += catch_up_lines(result["catch_up"])
    tput = result["throughput"]
    lines += startup_lines(result.get("startup", {}))
    for name in SERVICES:
        lines.append(
            f"{'  ' + name + ': ready (three at once) / RSS idle / RSS under load':<52} "
            f"{tput['ready_s'][name]} s / {tput['rss_mb']['idle'][name]} / "
            f"{tput['rss_mb']['under_load'].get(name)} MB"
        )
    return "\n".join(lines)


def cli() -> None:
    logging.basicConfig(level=logging.ERROR)  # aiokafka's retries while a new topic gets its leader
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw-records", type=int, default=20_000)
    parser.add_argument("--rates", type=float, nargs="*", default=[50.0, 200.0, 1000.0])
    parser.add_argument("--latency-seconds", type=float, default=10.0, help="how long each rate is offered")
    parser.add_argument("--drain-seconds", type=float, default=30.0)
    parser.add_argument("--offered", type=float, default=400.0, help="offered rate of the throughput phase")
    # 6,000 referrals: enough for a steady figure, and mailed within the drain on two cores.
    parser.add_argument("--seconds", type=float, default=15.0, help="length of the throughput phase")
    parser.add_argument("--catchup-facts", type=int, default=1_000_000)
    parser.add_argument("--catchup-seconds", type=float, default=120.0, help="stop the catch-up after this long")
    parser.add_argument(
        "--cost-drain-seconds",
        type=float,
        default=150.0,
        help="after the throughput phase's offer, how long CPU is still measured for the referrals in flight",
    )
    parser.add_argument(
        "--cost-only", action="store_true", help="only the throughput phase and its baseline (CPU per referral)"
    )
    parser.add_argument("--catchup-only", action="store_true", help="only the catch-up of a fresh notifications")
    parser.add_argument("--startup-only", action="store_true", help="only each service's start-up alone")
    parser.add_argument("--portal-only", action="store_true", help="only the staff portal's pages (bench/portal.py)")
    parser.add_argument("--portal-referrals", type=int, default=1_000, help="the partner's referrals the portal lists")
    parser.add_argument("--portal-requests", type=int, default=300, help="requests of each portal page")
    parser.add_argument(
        "--log-level", default="WARNING", help="the services' HUBNET_LOG_LEVEL (their own default is INFO)"
    )
    args = parser.parse_args()
    os.environ[LOG_LEVEL_VAR] = args.log_level
    result = asyncio.run(main(args))
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = result["at"].replace(":", "").replace("-", "")
    for path in (RESULTS / f"bench-{stamp}.json", RESULTS / "latest.json"):
        path.write_text(json.dumps(result, indent=2))
    print(table(result))
    print(f"\nwritten to {RESULTS / 'latest.json'}")


if __name__ == "__main__":
    cli()
