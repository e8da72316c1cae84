"""Fault runs (`make faults`): a steady stream of real partner commands through the three services,
running as separate processes, while a fault is injected; then count from the databases, the topics
and the SMTP server what was sent, processed, lost, duplicated and out of order.

Each referral case is consent → create → acknowledge → accept → start → complete, so it must end
`completed` at version 5 with five facts in version order, one outcome, and six mails (two to
BRG's staff, four to the sender's hub host). Scenarios:
- `none`: the baseline;
- `kill`: kill -9 of a random service, again and again, each started again at once;
- `broker-stop` / `db-stop` / `smtp-down`: Kafka, PostgreSQL or the SMTP server away for 30 s;
- `scale`: every service from one instance to three and back (consumer-group rebalances);
- `bad-input`: garbage between the real commands (`faults.garbage`, half of it from a hypothesis
  fuzzer); each record must reach the dead-letter topic once, with its reason.
A scenario fails when anything is lost, doubled, reordered or misfiled, or a service died.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
import urllib.parse
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from aiokafka import TopicPartition
from aiokafka.errors import KafkaError

from bench.smtp_sink import SinkProcess
from faults.chaos import SERVICES, BadInput, KillRandomService, NoChaos, Outage, ScaleOutAndIn, infra
from hubnet_common.ops.local.kafka_users import admin_login, environment
from hubnet_common.ops.local.partners import LocalPartnerClient
from hubnet_common.ops.local.services import LocalServices
from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.kafka import records_until_now
from hubnet_common.sdk.messages import referral_commands as c
from hubnet_common.sdk.messages.vocabulary import ConsentMethod, MainActivity, Purpose
from hubnet_common.sdk.topics import REFERRAL_EVENTS, on_broker, replies_topic
from tests.conftest import free_port
from tests.integration.referral_steps import person, sealed_number

SCENARIOS = ["none", "kill", "broker-stop", "db-stop", "smtp-down", "scale", "bad-input"]
STEPS_PER_CASE = 5  # create, acknowledge, accept, start, complete (the consent is shared)
MAILS_PER_CASE = 6  # two to BRG's staff, four to the sender's hub host
LEASE_SECONDS = 5.0  # the services' delivery lease: a killed worker's mails are due again after it


async def drive(bootstrap: str, cases: int, rate: float, chaos, prefix: str) -> tuple[list[str], int, dict[str, str]]:
    """Send every case's commands at `rate` commands a second; returns the referral ids, how many
    commands were sent, and the trace id of each command by its ce_id."""
    async with LocalPartnerClient(bootstrap, "bostadsbolaget") as sender, LocalPartnerClient(bootstrap, "brg") as brg:
        now = datetime.now(UTC)
        consents = [
            c.RecordConsent(
                sealed_personnummer=sealed_number(person(i)),  # the service answers the ref
                partner_ids=["brg"],
                purposes=[Purpose.OWN_BUSINESS],
                method=ConsentMethod.WRITTEN,
                noted_by="fault run",
                given_at=now,
                valid_until=now.replace(year=now.year + 1),
            )
            for i in range(10)
        ]
        commands: dict[str, str] = {}
        refs = []
        for consent in consents:  # consents first: referrals need them recorded
            refs.append(getattr(await sender.request(consent, timeout=120), "participant_ref", None) or "")
        ids, sent, began = [], len(consents), time.monotonic()
        outcome = c.OutcomeReport(main_activity=MainActivity.OWN_BUSINESS)
        for n in range(cases):
            consent, ref = consents[n % len(consents)], refs[n % len(consents)]
            create = c.CreateReferral(
                service_id="brg-business-coaching",
                hub_id="hjallbo",
                purpose=Purpose.OWN_BUSINESS,
                participant_ref=ref,
                consent_id=consent.consent_id,
            )
            rid = create.referral_id
            steps = [
                (sender, create),
                (brg, c.AcknowledgeReferral(referral_id=rid)),
                (brg, c.AcceptReferral(referral_id=rid)),
                (brg, c.StartReferral(referral_id=rid)),
                (brg, c.CompleteReferral(referral_id=rid, outcome=outcome)),
            ]
            for who, command in steps:
                await asyncio.sleep(max(0.0, began + sent / rate - time.monotonic()))
                envelope = await send_until_taken(who, command)
                commands[envelope.id] = envelope.trace_id
                sent += 1
                await chaos.between_commands(sent)
            ids.append(rid)
        return ids, sent, commands


async def send_until_taken(who: LocalPartnerClient, command) -> Envelope:
    """What a partner system does while the broker is away: try again, with the same ce_id, so a
    copy that did get through is recognised as the same command."""
    envelope = Envelope.new(type=command.ce_type, source=who.source, subject=command.subject())
    while True:
        try:
            await who.send(command, headers=envelope.to_headers())
            return envelope
        except KafkaError:
            await asyncio.sleep(1.0)


async def facts_in_order(bootstrap: str, prefix: str, ids: set[str], commands: dict[str, str]) -> tuple[int, int, int]:
    """(out-of-order referral facts, facts relayed again, facts made twice for one command) as read
    from referral.events.v1. A fact relayed again has a ce_id seen before: consumers skip it. A
    fact made twice has a new ce_id for a command that already had that fact: a broken inbox."""
    tps = [TopicPartition(on_broker(REFERRAL_EVENTS.name, prefix), p) for p in range(REFERRAL_EVENTS.partitions)]
    last: dict[str, int] = defaultdict(int)
    seen: set[str] = set()
    per_command: Counter[tuple[str, str]] = Counter()
    traces = set(commands.values())
    out_of_order = redelivered = 0
    for record in await records_until_now(bootstrap, tps, timeout=120, **admin_login()):
        envelope = Envelope.from_headers(record.headers)
        if envelope.subject not in ids or envelope.type.startswith("se.hubnet.consent"):
            continue
        if envelope.id in seen:
            redelivered += 1
            continue
        seen.add(envelope.id)
        if envelope.trace_id in traces:
            per_command[(envelope.trace_id, envelope.type)] += 1
        version = _version(record.value)
        out_of_order += version <= last[envelope.subject]
        last[envelope.subject] = version
    return out_of_order, redelivered, sum(n - 1 for n in per_command.values())


async def replies_per_command(bootstrap: str, prefix: str, commands: dict[str, str]) -> tuple[int, int, int]:
    """(commands with no answer, answers beyond the first, answers the relay sent again) on the
    senders' replies topics. A command processed twice is answered twice, each answer with a
    ce_id of its own (the second refused); the same answer again (same ce_id) is the relay's
    at-least-once, which a partner skips like any consumer."""
    answers: dict[str, set[str]] = defaultdict(set)
    copies = 0
    for partner in ("bostadsbolaget", "brg"):
        topic = replies_topic(partner)
        tps = [TopicPartition(on_broker(topic.name, prefix), p) for p in range(topic.partitions)]
        for record in await records_until_now(bootstrap, tps, timeout=120, **admin_login()):
            command_id = json.loads(record.value).get("command_id")
            if command_id in commands:
                answer_id = Envelope.from_headers(record.headers).id
                copies += answer_id in answers[command_id]
                answers[command_id].add(answer_id)
    return len(set(commands) - set(answers)), sum(len(ids) - 1 for ids in answers.values()), copies


def _version(value: bytes) -> int:
    return int(json.loads(value)["version"])


async def scenario(
    name: str,
    cases: int,
    rate: float,
    *,
    fault_every: int | None = None,
    outage_seconds: float = 30.0,
    kill_only: str | None = None,
) -> dict:
    """Run one scenario; `fault_every` (commands between faults) defaults to the scenario's own;
    `kill_only` names the one service the kill scenario kills."""
    run = uuid.uuid4().hex[:6]
    prefix = f"faults-{run}."  # its topics, consumer groups and their ACLs
    async with environment(os.environ["HUBNET_KAFKA_BOOTSTRAP"], topic_prefix=prefix, group_prefix=f"{prefix}hubnet"):
        return await _scenario(
            name, run, prefix, cases, rate, fault_every=fault_every, outage_seconds=outage_seconds, kill_only=kill_only
        )


async def _scenario(
    name: str,
    run: str,
    prefix: str,
    cases: int,
    rate: float,
    *,
    fault_every: int | None,
    outage_seconds: float,
    kill_only: str | None,
) -> dict:
    bootstrap, server_dsn = os.environ["HUBNET_KAFKA_BOOTSTRAP"], os.environ["HUBNET_PG_DSN"]
    databases = {s: f"faults_{run}_{s}" for s in SERVICES}
    conn = await asyncpg.connect(server_dsn)
    for database in databases.values():
        await conn.execute(f'CREATE DATABASE "{database}"')
    await conn.close()
    mails = smtp = SinkProcess(free_port())
    await smtp.start()
    outer_prefix = os.environ.get("HUBNET_TOPIC_PREFIX")
    os.environ["HUBNET_TOPIC_PREFIX"] = prefix  # read by the services it starts and the partner clients
    local = LocalServices(
        log_dir=Path(f".local/faults/{run}"),
        databases=databases,
        ports={s: free_port() for s in SERVICES},
        extra_env={
            "HUBNET_SMTP_PORT": str(smtp.port),
            "HUBNET_LOG_LEVEL": os.environ.get("FAULTS_LOG_LEVEL", "WARNING"),
            "HUBNET_GROUP_PREFIX": f"{prefix}hubnet",
            "HUBNET_DELIVERY_LEASE_SECONDS": str(LEASE_SECONDS),
        },
    )
    try:
        await asyncio.to_thread(local.start_all)
        chaos = _chaos(
            name, local, smtp, bootstrap, prefix, cases * STEPS_PER_CASE, fault_every, outage_seconds, kill_only
        )
        began = time.monotonic()
        ids, sent, commands = await drive(bootstrap, cases, rate, chaos, prefix)
        await chaos.wait()
        settled = await _settle(name, server_dsn, databases["referrals"], ids, mails, chaos)
        return await _count(
            name,
            bootstrap,
            prefix,
            server_dsn,
            databases,
            ids,
            sent,
            commands,
            mails,
            chaos,
            local,
            settled - began,
            settled,
        )
    finally:
        # First: a run cut short (a timeout cancels the awaits below) must not leave its prefix to the next test.
        if outer_prefix is None:
            os.environ.pop("HUBNET_TOPIC_PREFIX", None)
        else:
            os.environ["HUBNET_TOPIC_PREFIX"] = outer_prefix
        await asyncio.to_thread(local.stop_all)
        await smtp.stop()
        conn = await asyncpg.connect(server_dsn)  # a fresh one: the database may have restarted meanwhile
        for database in databases.values():
            await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await conn.close()


def _stop_and_start(part: str):
    """Only that part comes back: the rest of `make up` (Keycloak's realm, the broker's users) is still there."""
    return lambda: infra("stop", part), lambda: infra("start", part)


def _chaos(name, local, smtp, bootstrap, prefix, total, fault_every, outage_seconds, kill_only):
    every = {"every": fault_every} if fault_every else {}
    kafka_port = int(bootstrap.rpartition(":")[2])
    pg_port = urllib.parse.urlsplit(os.environ["HUBNET_PG_DSN"]).port
    outages = {
        "broker-stop": lambda: Outage(name, *_stop_and_start("kafka"), total, outage_seconds, port=kafka_port),
        "db-stop": lambda: Outage(name, *_stop_and_start("postgres"), total, outage_seconds, port=pg_port),
        "smtp-down": lambda: Outage(name, smtp.stop, smtp.start, total, outage_seconds, port=smtp.port),
    }
    if name == "kill":
        return KillRandomService(local, **every, **({"victims": (kill_only,)} if kill_only else {}))
    if name == "bad-input":
        return BadInput(bootstrap, prefix, **every)
    if name == "scale":
        return ScaleOutAndIn(local, total)
    return outages[name]() if name in outages else NoChaos()


async def _settle(name: str, server_dsn: str, database: str, ids: list[str], mails: SinkProcess, chaos) -> float:
    """Wait until every case is complete and every mail is in, and past the delivery lease after
    the last fault, so that a mail a killed worker would send again has been sent again."""
    referrals_db = await asyncpg.connect(server_dsn.rpartition("/")[0] + "/" + database)
    expected_mails = MAILS_PER_CASE * len(ids)
    try:
        deadline, waited = time.monotonic() + 600, time.monotonic()
        while time.monotonic() < deadline:
            done = await referrals_db.fetchval(
                "SELECT count(*) FROM referrals WHERE id = ANY($1) AND status = 'completed' AND version = 5", ids
            )
            past_lease = time.monotonic() - (chaos.last_fault or 0) > LEASE_SECONDS + 2
            if done == len(ids) and len(mails.by_id) >= expected_mails and past_lease:
                break
            if time.monotonic() - waited > 30:
                waited = time.monotonic()
                print(
                    f"{name}: waiting for {len(ids) - done} cases and {expected_mails - len(mails.by_id)} mails",
                    file=sys.stderr,
                    flush=True,
                )
            await asyncio.sleep(0.5)
    finally:
        await referrals_db.close()
    return time.monotonic()


async def _count(
    name, bootstrap, prefix, server_dsn, databases, ids, sent, commands, mails, chaos, local, run_s, settled
) -> dict:
    referrals_db = await asyncpg.connect(server_dsn.rpartition("/")[0] + "/" + databases["referrals"])
    try:
        history = await referrals_db.fetch(
            "SELECT referral_id, count(*) AS n FROM referral_history WHERE referral_id = ANY($1) GROUP BY 1", ids
        )
    finally:
        await referrals_db.close()
    out_of_order, redelivered, facts_twice = await facts_in_order(bootstrap, prefix, set(ids), commands)
    unanswered, answered_twice, answers_redelivered = await replies_per_command(bootstrap, prefix, commands)
    per_case = {r["referral_id"]: r["n"] for r in history}
    lost_steps = sum(max(0, STEPS_PER_CASE - per_case.get(i, 0)) for i in ids)
    expected_mails = MAILS_PER_CASE * len(ids)
    lost_mails = max(0, expected_mails - len(mails.by_id))
    doubled = mails.doubled()
    misfiled: list[str] = []
    if isinstance(chaos, BadInput):
        misfiled = await chaos.misfiled()
        await chaos.stop()
    crashed = sorted(n for n, process in local.processes.items() if process.poll() is not None)
    in_window = _kills_in_window(chaos, mails, doubled)
    window = await _record_window(server_dsn, databases["notifications"], mails)
    return {
        "scenario": name,
        "sent": sent,
        "processed": sent - lost_steps,
        "lost": lost_steps + lost_mails + unanswered,
        "duplicated": facts_twice + answered_twice + len(doubled),
        "out_of_order": out_of_order,
        "doubled": f"{facts_twice} facts, {answered_twice} answers, {len(doubled)} mails",
        "lost_detail": f"{lost_steps} steps, {lost_mails} mails, {unanswered} answers",
        "mails": f"{len(mails.by_id)}/{expected_mails}",
        "redelivered": redelivered + answers_redelivered,
        "faults": chaos.faults,
        "in_window": in_window,
        "window_ms": window,
        "misfiled": len(misfiled),
        "misfiled_records": misfiled,
        "crashed": len(crashed),
        "recovery_s": round(settled - (chaos.last_fault or settled), 1),
        "run_s": round(run_s, 1),
    }


async def _record_window(server_dsn: str, database: str, mails: SinkProcess) -> str:
    """From the SMTP server's acceptance of each mail to its record (the handover, else the
    delivery; both by this machine's clock): the window in which a kill sends a mail again. As
    p50/p99/max in ms; below 0 when the record was made before the server took the mail."""
    conn = await asyncpg.connect(server_dsn.rpartition("/")[0] + "/" + database)
    try:
        rows = await conn.fetch(
            "SELECT id::text, extract(epoch FROM coalesce(handed_at, delivered_at))::float AS at"
            " FROM notifications WHERE channel = 'email' AND status = 'delivered'"
        )
    finally:
        await conn.close()
    lags = sorted(
        1000 * (r["at"] - mails.first_at[f"<{r['id']}@hubnet>"])
        for r in rows
        if f"<{r['id']}@hubnet>" in mails.first_at and mails.by_id[f"<{r['id']}@hubnet>"] == 1
    )
    if not lags:
        return "-"
    return "/".join(f"{lags[min(len(lags) - 1, int(q * len(lags)))]:.1f}" for q in (0.5, 0.99)) + f"/{lags[-1]:.1f}"


def _kills_in_window(chaos, mails: SinkProcess, doubled: list[str]) -> int | None:
    """Kills of the notifications service that landed between a mail's acceptance and its record:
    each doubled mail is charged to the first kill after its first acceptance."""
    if not isinstance(chaos, KillRandomService):
        return None
    kills = sorted(chaos.kills_at.get("notifications", []))
    charged = {next((k for k in kills if k >= mails.first_at[m]), None) for m in doubled}
    return len(charged - {None})


def main() -> None:
    parser = argparse.ArgumentParser(description="fault runs against the local stack")
    parser.add_argument("--scenario", action="append", choices=SCENARIOS)
    parser.add_argument("--commands", type=int, default=5000, help="lifecycle commands per scenario")
    parser.add_argument("--rate", type=float, default=60.0, help="commands per second")
    parser.add_argument("--outage-seconds", type=float, default=30.0, help="how long broker, database or SMTP is away")
    args = parser.parse_args()
    # While the broker is away the harness's own clients would print every failed reconnect.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    rows = [
        asyncio.run(scenario(name, args.commands // STEPS_PER_CASE, args.rate, outage_seconds=args.outage_seconds))
        for name in args.scenario or SCENARIOS[1:]
    ]
    columns = (
        "scenario",
        "sent",
        "processed",
        "lost",
        "duplicated",
        "out_of_order",
        "mails",
        "redelivered",
        "misfiled",
        "crashed",
        "faults",
        "in_window",
        "window_ms",
        "recovery_s",
        "run_s",
    )
    for row in rows:
        if row["lost"]:
            print(f"{row['scenario']}: lost {row['lost_detail']}")
        if row["duplicated"]:
            print(f"{row['scenario']}: doubled {row['doubled']}")
        for misfiled in row["misfiled_records"]:
            print(f"{row['scenario']}: misfiled {misfiled}")
    print("  ".join(f"{c:>12}" for c in columns))
    for row in rows:
        print("  ".join(f"{row[c]!s:>12}" for c in columns))
    failed = [
        r["scenario"]
        for r in rows
        if r["lost"] or r["duplicated"] or r["out_of_order"] or r["misfiled"] or r["crashed"] or not r["faults"]
    ]
    if failed:
        raise SystemExit(
            f"faults: {', '.join(failed)} lost, doubled, reordered or misfiled work, crashed, or saw no fault happen"
        )


if __name__ == "__main__":
    main()
