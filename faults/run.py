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
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from aiokafka import TopicPartition
from aiokafka.errors import KafkaError
from aiosmtpd.controller import Controller
from hubnet_common.envelope import Envelope
from hubnet_common.kafka import records_until_now
from hubnet_common.local.kafka_users import admin_login, environment
from hubnet_common.local.services import LocalServices
from hubnet_common.messages import referral_commands as c
from hubnet_common.messages.vocabulary import ConsentMethod, MainActivity, Purpose
from hubnet_common.partner import PartnerClient
from hubnet_common.topics import REFERRAL_EVENTS, on_broker

from faults.chaos import SERVICES, BadInput, KillRandomService, NoChaos, Outage, ScaleOutAndIn, in_thread, infra
from tests.conftest import free_port
SCENARIOS = ["none", "kill", "broker-stop", "db-stop", "smtp-down", "scale", "bad-input"]
STEPS_PER_CASE = 5  # create, acknowledge, accept, start, complete (the consent is shared)


class SmtpServer:
    """The SMTP server of a run, which can go away and come back on the same port."""

    def __init__(self, handler, port: int) -> None:
        self.handler, self.port, self.controller = handler, port, None

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None


class Mails:
    """The SMTP server: counts each mail by its Message-ID (one per notification)."""

    def __init__(self) -> None:
        self.by_id: Counter[str] = Counter()

    async def handle_DATA(self, server, session, envelope) -> str:
        for line in (envelope.original_content or b"").splitlines():
            if line.lower().startswith(b"message-id:"):
                self.by_id[line.split(b":", 1)[1].strip().decode()] += 1
                break
        return "250 OK"


async def drive(bootstrap: str, cases: int, rate: float, chaos, prefix: str) -> tuple[list[str], int]:
    """Send every case's commands at `rate` commands a second; returns (referral ids, commands sent)."""
    async with PartnerClient(bootstrap, "bostadsbolaget") as sender, PartnerClient(bootstrap, "brg") as brg:
        now = datetime.now(UTC)
        consents = [c.RecordConsent(participant_ref=f"{i:064x}", partner_ids=["brg"], purposes=[Purpose.OWN_BUSINESS],
                                    method=ConsentMethod.WRITTEN, noted_by="fault run", given_at=now,
                                    valid_until=now.replace(year=now.year + 1)) for i in range(10)]
        for consent in consents:  # consents first: referrals need them recorded
            await sender.request(consent, timeout=120)
        ids, sent, began = [], len(consents), time.monotonic()
        outcome = c.OutcomeReport(main_activity=MainActivity.OWN_BUSINESS)
        for n in range(cases):
            consent = consents[n % len(consents)]
            create = c.CreateReferral(service_id="brg-business-coaching", hub_id="hjallbo", purpose=Purpose.OWN_BUSINESS,
                                      participant_ref=consent.participant_ref, consent_id=consent.consent_id)
            rid = create.referral_id
            steps = [(sender, create), (brg, c.AcknowledgeReferral(referral_id=rid)), (brg, c.AcceptReferral(referral_id=rid)),
                     (brg, c.StartReferral(referral_id=rid)), (brg, c.CompleteReferral(referral_id=rid, outcome=outcome))]
            for who, command in steps:
                await asyncio.sleep(max(0.0, began + sent / rate - time.monotonic()))
                await send_until_taken(who, command)
                sent += 1
                await chaos.between_commands(sent)
            ids.append(rid)
        return ids, sent


async def send_until_taken(who: PartnerClient, command) -> None:
    """What a partner system does while the broker is away: try again, with the same ce_id, so a
    copy that did get through is recognised as the same command."""
    envelope = Envelope.new(type=command.ce_type, source=who.source, subject=command.subject())
    while True:
        try:
            await who.send(command, headers=envelope.to_headers())
            return
        except KafkaError:
            await asyncio.sleep(1.0)


async def facts_in_order(bootstrap: str, prefix: str, ids: set[str]) -> tuple[int, int]:
    """(out-of-order referral facts, duplicate deliveries) as read from referral.events.v1."""
    tps = [TopicPartition(on_broker(REFERRAL_EVENTS.name, prefix), p) for p in range(REFERRAL_EVENTS.partitions)]
    last: dict[str, int] = defaultdict(int)
    seen: set[str] = set()
    out_of_order = duplicates = 0
    for record in await records_until_now(bootstrap, tps, timeout=120, **admin_login()):
        envelope = Envelope.from_headers(record.headers)
        if envelope.subject not in ids or envelope.type.startswith("se.hubnet.consent"):
            continue
        if envelope.id in seen:
            duplicates += 1  # the same fact again (at-least-once relay): consumers dedupe it
            continue
        seen.add(envelope.id)
        version = _version(record.value)
        out_of_order += version <= last[envelope.subject]
        last[envelope.subject] = version
    return out_of_order, duplicates


def _version(value: bytes) -> int:
    return int(json.loads(value)["version"])


async def scenario(name: str, cases: int, rate: float, *, fault_every: int | None = None,
                   outage_seconds: float = 30.0) -> dict:
    """Run one scenario; `fault_every` (commands between faults) defaults to the scenario's own."""
    run = uuid.uuid4().hex[:6]
    prefix = f"faults-{run}."  # its topics, consumer groups and their ACLs
    async with environment(os.environ["HUBNET_KAFKA_BOOTSTRAP"], topic_prefix=prefix, group_prefix=f"{prefix}hubnet"):
        return await _scenario(name, run, prefix, cases, rate, fault_every=fault_every, outage_seconds=outage_seconds)


async def _scenario(name: str, run: str, prefix: str, cases: int, rate: float, *, fault_every: int | None,
                    outage_seconds: float) -> dict:
    bootstrap, server_dsn = os.environ["HUBNET_KAFKA_BOOTSTRAP"], os.environ["HUBNET_PG_DSN"]
    databases = {s: f"faults_{run}_{s}" for s in SERVICES}
    conn = await asyncpg.connect(server_dsn)
    for database in databases.values():
        await conn.execute(f'CREATE DATABASE "{database}"')
    await conn.close()
    mails = Mails()
    smtp = SmtpServer(mails, free_port())
    smtp.start()
    outer_prefix = os.environ.get("HUBNET_TOPIC_PREFIX")
    os.environ["HUBNET_TOPIC_PREFIX"] = prefix  # read by the services it starts and the partner clients
    local = LocalServices(log_dir=Path(f".local/faults/{run}"), databases=databases,
                          ports={s: free_port() for s in SERVICES},
                          extra_env={"HUBNET_SMTP_PORT": str(smtp.port), "HUBNET_LOG_LEVEL": os.environ.get("FAULTS_LOG_LEVEL", "WARNING"),
                                     "HUBNET_GROUP_PREFIX": f"{prefix}hubnet"})
    try:
        await asyncio.to_thread(local.start_all)
        every = {"every": fault_every} if fault_every else {}
        total = cases * STEPS_PER_CASE
        outages = {
            "broker-stop": lambda: Outage(name, lambda: infra("stop", "kafka"), lambda: infra("up"), total,
                                          outage_seconds),
            "db-stop": lambda: Outage(name, lambda: infra("stop", "postgres"), lambda: infra("up"), total,
                                      outage_seconds),
            "smtp-down": lambda: Outage(name, in_thread(smtp.stop), in_thread(smtp.start), total, outage_seconds),
        }
        chaos = (KillRandomService(local, **every) if name == "kill"
                 else BadInput(bootstrap, prefix, **every) if name == "bad-input"
                 else ScaleOutAndIn(local, total) if name == "scale"
                 else outages[name]() if name in outages else NoChaos())
        began = time.monotonic()
        ids, sent = await drive(bootstrap, cases, rate, chaos, prefix)
        await chaos.wait()
        referrals_db = await asyncpg.connect(server_dsn.rpartition("/")[0] + "/" + databases["referrals"])
        expected_mails = 6 * len(ids)
        deadline, waited = time.monotonic() + 600, time.monotonic()
        while time.monotonic() < deadline:
            done = await referrals_db.fetchval(
                "SELECT count(*) FROM referrals WHERE id = ANY($1) AND status = 'completed' AND version = 5", ids)
            if done == len(ids) and sum(mails.by_id.values()) >= expected_mails:
                break
            if time.monotonic() - waited > 30:
                waited = time.monotonic()
                print(f"{name}: waiting for {len(ids) - done} cases and {expected_mails - len(mails.by_id)} mails",
                      file=sys.stderr, flush=True)
            await asyncio.sleep(1.0)
        settled = time.monotonic()
        history = await referrals_db.fetch("SELECT referral_id, count(*) AS n FROM referral_history"
                                           " WHERE referral_id = ANY($1) GROUP BY 1", ids)
        await referrals_db.close()
        out_of_order, redelivered = await facts_in_order(bootstrap, prefix, set(ids))
        per_case = {r["referral_id"]: r["n"] for r in history}
        lost_steps = sum(max(0, STEPS_PER_CASE - per_case.get(i, 0)) for i in ids)
        doubled_steps = sum(max(0, n - STEPS_PER_CASE) for n in per_case.values())
        doubled_mails = sum(n - 1 for n in mails.by_id.values() if n > 1)
        misfiled: list[str] = []
        if isinstance(chaos, BadInput):
            misfiled = await chaos.misfiled()
            await chaos.stop()
        crashed = sorted(n for n, process in local.processes.items() if process.poll() is not None)
        return {
            "scenario": name, "sent": sent, "processed": sent - lost_steps, "lost": lost_steps,
            "duplicated": doubled_steps + doubled_mails, "out_of_order": out_of_order,
            "doubled": f"{doubled_steps} steps, {doubled_mails} mails",
            "mails": f"{len(mails.by_id)}/{expected_mails}", "facts_redelivered": redelivered,
            "faults": chaos.faults, "misfiled": len(misfiled), "misfiled_records": misfiled,
            "crashed": len(crashed),
            "recovery_s": round(settled - (chaos.last_fault or settled), 1), "run_s": round(settled - began, 1),
        }
    finally:
        await asyncio.to_thread(local.stop_all)
        smtp.stop()
        conn = await asyncpg.connect(server_dsn)  # a fresh one: the database may have restarted meanwhile
        for database in databases.values():
            await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await conn.close()
        if outer_prefix is None:
            os.environ.pop("HUBNET_TOPIC_PREFIX", None)
        else:
            os.environ["HUBNET_TOPIC_PREFIX"] = outer_prefix


def main() -> None:
    parser = argparse.ArgumentParser(description="fault runs against the local stack")
    parser.add_argument("--scenario", action="append", choices=SCENARIOS)
    parser.add_argument("--commands", type=int, default=5000, help="lifecycle commands per scenario")
    parser.add_argument("--rate", type=float, default=60.0, help="commands per second")
    parser.add_argument("--outage-seconds", type=float, default=30.0, help="how long broker, database or SMTP is away")
    args = parser.parse_args()
    # While the broker is away the harness's own clients would print every failed reconnect.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    rows = [asyncio.run(scenario(name, args.commands // STEPS_PER_CASE, args.rate, outage_seconds=args.outage_seconds))
            for name in args.scenario or SCENARIOS[1:]]
    columns = ("scenario", "sent", "processed", "lost", "duplicated", "out_of_order", "mails", "facts_redelivered",
               "misfiled", "crashed", "faults", "recovery_s", "run_s")
    for row in rows:
        if row["duplicated"]:
            print(f"{row['scenario']}: doubled {row['doubled']}")
        for misfiled in row["misfiled_records"]:
            print(f"{row['scenario']}: misfiled {misfiled}")
    print("  ".join(f"{c:>12}" for c in columns))
    for row in rows:
        print("  ".join(f"{str(row[c]):>12}" for c in columns))
    failed = [r["scenario"] for r in rows if r["lost"] or r["duplicated"] or r["out_of_order"] or r["misfiled"]
              or r["crashed"]]
    if failed:
        raise SystemExit(f"faults: {', '.join(failed)} lost, doubled, reordered or misfiled work, or crashed")


if __name__ == "__main__":
    main()
