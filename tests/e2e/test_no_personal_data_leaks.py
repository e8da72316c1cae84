"""No personal data in any message, table or log line, on the paths where a service could leak it:
commands carrying a resident's number, name, phone or e-mail in clear where they must be sealed
(refused, dead-lettered, audited), a command whose signature fails, the referrals database going
away while commands are in flight, and a referral with the same details sealed worked to its end.
The three services run as processes logging at DEBUG; afterwards every record of every topic of
the run (values, headers and keys, dead letters included), every row of every table of the three
databases and every log line is searched for the resident's details (docs/security.md)."""

import asyncio
import contextlib
import json
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from hubnet_common.ops.local.partners import LocalPartnerClient, partner_signer
from hubnet_common.ops.local.services import LocalServices
from hubnet_common.ops.local.watch import TopicWatcher
from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.identity import partner_source
from hubnet_common.sdk.keys import read_key, write_key_pair
from hubnet_common.sdk.messages import referral_commands as c
from hubnet_common.sdk.messages.audit import MessageRejected
from hubnet_common.sdk.messages.directory_commands import UpdatePartner
from hubnet_common.sdk.messages.hubevent_commands import RecordAttendance, RegisterForHubEvent, ScheduleHubEvent
from hubnet_common.sdk.messages.vocabulary import MainActivity
from hubnet_common.sdk.sealing import ContactDetails, seal_with_data_key
from hubnet_common.sdk.topics import AUDIT_EVENTS, HUB_EVENT_COMMANDS, REFERRAL_COMMANDS
from tests.e2e.stack import data_key_of, three_services
from tests.e2e.test_erasure import every_row
from tests.e2e.topics import records_since
from tests.integration.conftest import until
from tests.integration.referral_steps import accepted, consent, referral

pytestmark = pytest.mark.e2e
NUMBER = "19811218-9876"
NUMBERS = [NUMBER, "198112189876", "811218-9876", "8112189876", "811218+9876"]
RESIDENT = ContactDetails(
    name="Ylva Läckström", phone="0739482157", email="ylva.lackstrom@example.org", note="Ring Ylva på 0739482157"
)
PHONES = [RESIDENT.phone, "073-948 21 57", "+46739482157"]
NEED = f"{RESIDENT.name}, {NUMBER}, vill starta eget"


def needles() -> list[str]:
    """Every form the details could take in a line of JSON, a header or a row."""
    plain = [*NUMBERS, RESIDENT.name, "Läckström", "Lackstrom", *PHONES, RESIDENT.email, "ylva.lackstrom"]
    return sorted({form for p in plain for form in (p, json.dumps(p)[1:-1], p.lower())})


@pytest.fixture(scope="module")
async def services(new_database, kafka_bootstrap, mail_sink, tmp_path_factory):
    port, _ = mail_sink
    logs = tmp_path_factory.mktemp("logs")
    async with three_services(new_database, kafka_bootstrap, port, logs, "leaks", HUBNET_LOG_LEVEL="DEBUG") as (
        dsns,
        local,
        start_offsets,
    ):
        yield dsns, local, start_offsets


def plain_commands(ref: str, referral_id: str, hub_event_id: str) -> list[tuple[str, str, dict | str]]:
    """(topic, ce_type, body): what a careless partner system might send (the last one not even JSON)."""
    now = datetime.now(UTC)
    given = {
        "participant_ref": ref,
        "partner_ids": ["brg"],
        "purposes": ["own-business"],
        "method": "written",
        "noted_by": "Amina Hassan",
        "given_at": (now - timedelta(minutes=1)).isoformat(),
        "valid_until": (now + timedelta(days=30)).isoformat(),
    }
    create = {
        "service_id": "brg-business-coaching",
        "hub_id": "hjallbo",
        "participant_ref": ref,
        "purpose": "own-business",
        "consent_id": "C-leaks",
    }
    contact = RESIDENT.model_dump_json()
    r, h = REFERRAL_COMMANDS.name, HUB_EVENT_COMMANDS.name
    commands = [
        (r, c.CreateReferral.ce_type, {**create, "need": NEED}),
        (r, c.CreateReferral.ce_type, {**create, "sealed_contact": contact}),
        (
            r,
            c.CreateReferral.ce_type,
            {**create, "personnummer": NUMBER, "name": RESIDENT.name, "email": RESIDENT.email},
        ),  # fields that do not exist
        (r, c.CreateReferral.ce_type, {**create, "purpose": RESIDENT.name, "hub_id": RESIDENT.email}),
        (r, c.HoldReferral.ce_type, {"referral_id": referral_id, "reason": f"{RESIDENT.name} är sjukskriven"}),
        (r, c.RejectReferral.ce_type, {"referral_id": referral_id, "reason_code": "other", "reason": NEED}),
        (
            r,
            c.CompleteReferral.ce_type,
            {
                "referral_id": referral_id,
                "outcome": {"main_activity": "own-business", "note": f"Ring {RESIDENT.phone}"},
            },
        ),
        (r, c.RecordConsent.ce_type, {**given, "given_at": NUMBER, "valid_until": RESIDENT.phone}),
        (h, RegisterForHubEvent.ce_type, {"hub_event_id": hub_event_id, "participant_ref": NUMBERS[1]}),
        (
            h,
            RecordAttendance.ce_type,
            {"hub_event_id": hub_event_id, "attended": NUMBERS[2:], "no_shows": [RESIDENT.phone], "walk_ins": 0},
        ),
    ]
    for field in ("participant_ref", "sealed_personnummer"):  # the number where a ref or its sealed form goes
        commands += [(r, c.RecordConsent.ce_type, {**given, field: number}) for number in NUMBERS]
        commands += [(r, c.EraseParticipant.ce_type, {field: number, "noted_by": "Amina Hassan"}) for number in NUMBERS]
    commands.append((r, c.CreateReferral.ce_type, '{"need": "' + NEED + '", "participant_ref": "' + NUMBER))
    return commands


@contextlib.asynccontextmanager
async def database_away(dsn: str, local: LocalServices):
    """The referrals database away in the middle of a transaction: the inbox is locked, so what
    the service is sent inside the block waits on its claim; then its connection is ended as a
    restart would end it, and the lock goes once the service has said it retries."""
    database = dsn.rpartition("/")[2]
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.execute("LOCK TABLE inbox IN ACCESS EXCLUSIVE MODE")
            yield
            async with asyncio.timeout(30):
                while not await conn.fetch(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1"
                    " AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'",
                    database,
                ):
                    await asyncio.sleep(0.05)
            await log_shows(local, "referrals", "transient failure, retrying")
    finally:
        await conn.close()


async def log_shows(local: LocalServices, service: str, text: str, timeout: float = 30.0) -> None:
    async with asyncio.timeout(timeout):
        while text not in (local.log_dir / f"{service}.log").read_text(encoding="utf-8", errors="replace"):
            await asyncio.sleep(0.1)


async def test_no_personal_data_anywhere_when_partners_get_it_wrong(services, kafka_bootstrap, tmp_path):
    dsns, local, start_offsets = services
    url = f"http://127.0.0.1:{local.ports['referrals']}"
    keys = {p: write_key_pair(tmp_path, f"partner-{p}", "x25519") for p in ("brg", "bostadsbolaget")}
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=4)
    evening = ScheduleHubEvent(
        hub_id="bergsjon",
        kind="information-evening",
        title="Starta eget",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        capacity=10,
    )
    sent_plain: set[str] = set()  # ce_ids of the commands this test sent with the details in clear
    refused_by_handler = 0
    async with (
        LocalPartnerClient(kafka_bootstrap, "bostadsbolaget") as sender,
        LocalPartnerClient(kafka_bootstrap, "brg") as brg,
        LocalPartnerClient(kafka_bootstrap, "brg", signer=partner_signer("bostadsbolaget")) as forger,
        LocalPartnerClient(kafka_bootstrap, "familjebostader") as familjebostader,
        TopicWatcher(kafka_bootstrap, [AUDIT_EVENTS]) as audit,
    ):
        # The details sealed, as they should be: a referral worked to its end.
        for partner, client in (("brg", brg), ("bostadsbolaget", sender)):
            accepted(
                await client.request(
                    UpdatePartner(partner_id=partner, encryption_public_key=read_key(keys[partner][0]))
                )
            )
        accepted(await familjebostader.request(evening))
        given = consent(NUMBER)  # sealed to the referrals service, as it should be
        recorded = await sender.request(given)
        accepted(recorded)
        ref = recorded.participant_ref
        data_key = await asyncio.to_thread(data_key_of, url, ref, "bostadsbolaget", read_key(keys["bostadsbolaget"][1]))
        command = referral(
            given.consent_id,
            participant_ref=ref,
            need=seal_with_data_key(NEED, data_key),
            sealed_contact=seal_with_data_key(RESIDENT, data_key),
        )
        accepted(await sender.request(command))
        rid = command.referral_id
        for step in (
            c.AcknowledgeReferral(referral_id=rid),
            c.AcceptReferral(referral_id=rid),
            c.StartReferral(referral_id=rid),
            c.HoldReferral(referral_id=rid, reason=seal_with_data_key(NEED, data_key)),
        ):
            accepted(await brg.request(step))

        # A handler failing on the sealed details: PostgreSQL refuses the row and names what it holds
        # ("Failing row contains …") in the error that is logged and dead-lettered.
        doomed = referral(
            given.consent_id,
            participant_ref=ref,
            need=seal_with_data_key(NEED, data_key),
            sealed_contact=seal_with_data_key(RESIDENT, data_key),
        )
        conn = await asyncpg.connect(dsns["referrals"])
        try:
            await conn.execute(f"ALTER TABLE referrals ADD CONSTRAINT doomed CHECK (id <> '{doomed.referral_id}')")
        finally:
            await conn.close()
        failed = await sender.request(doomed)
        assert failed.code == "processing-failed", failed
        await log_shows(local, "referrals", "Failing row contains")

        # The details in clear where they must be sealed: each refused, saying what is wrong, not echoing it.
        for topic, ce_type, body in plain_commands(ref, rid, evening.hub_event_id):
            envelope = Envelope.new(type=ce_type, source=partner_source("bostadsbolaget"), subject=rid)
            sent_plain.add(envelope.id)
            raw = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
            reply = await sender.request_raw(topic, raw.encode(), envelope, key=rid)
            # a number where its sealed form goes may pass as base64: then it does not open
            expected = {"invalid-body", "invalid-personnummer"} if "sealed_personnummer" in raw else {"invalid-body"}
            assert reply.ce_type.endswith("rejected.v1") and reply.code in expected, (ce_type, reply)
            refused_by_handler += reply.code == "invalid-personnummer"  # refused, not dead-lettered
            assert reply.errors, f"the refusal of {ce_type} names no field"
            assert not [n for n in needles() if n in reply.model_dump_json()], f"the refusal echoes: {reply}"

        # A command whose signature does not prove its sender: refused and audited without its body.
        envelope = Envelope.new(type=c.HoldReferral.ce_type, source=partner_source("brg"), subject=rid)
        sent_plain.add(envelope.id)
        body = json.dumps({"referral_id": rid, "reason": NEED}, ensure_ascii=False).encode()
        reply = await forger.request_raw(REFERRAL_COMMANDS.name, body, envelope, key=rid)
        assert reply.code == "source-mismatch"
        await audit.wait_for(lambda s: isinstance(s.body, MessageRejected) and s.body.claimed_id == envelope.id)

        # The referrals database away while sealed and plain commands are in flight.
        plain_hold = Envelope.new(type=c.HoldReferral.ce_type, source=partner_source("brg"), subject=rid)
        sent_plain.add(plain_hold.id)
        async with database_away(dsns["referrals"], local):
            in_flight = [
                asyncio.create_task(brg.request(c.ResumeReferral(referral_id=rid), timeout=90)),
                asyncio.create_task(
                    brg.request_raw(
                        REFERRAL_COMMANDS.name,
                        json.dumps({"referral_id": rid, "reason": NEED}, ensure_ascii=False).encode(),
                        plain_hold,
                        key=rid,
                        timeout=90,
                    )
                ),
            ]
        resumed, refused = await asyncio.gather(*in_flight)
        accepted(resumed)
        assert refused.code == "invalid-body"
        accepted(
            await brg.request(
                c.CompleteReferral(
                    referral_id=rid,
                    outcome=c.OutcomeReport(
                        main_activity=MainActivity.OWN_BUSINESS,
                        note=seal_with_data_key(f"Ring {RESIDENT.phone}", data_key),
                    ),
                )
            )
        )

    # Give the facts time to reach the other services: the referral's last fact has arrived at both.
    await until(
        dsns["notifications"], f"SELECT 1 FROM notifications WHERE about_id = '{rid}' AND subject LIKE '%avslutad%'"
    )
    await until(dsns["events"], f"SELECT 1 FROM hub_events WHERE id = '{evening.hub_event_id}'")

    found = needles()
    records = await records_since(kafka_bootstrap, start_offsets)
    assert len(records) > 50
    dead_copies = 0
    for topic, headers, value in records:
        ce_id = next((v.decode() for n, v in headers if n == "ce_id"), None)
        if ce_id in sent_plain and (topic.endswith(".commands.v1") or topic.endswith(".dlq")):
            # what the partner sent, and its dead letter kept as it came (docs/security.md, "Forgetting")
            dead_copies += topic.endswith(".dlq")
            value = b""
        text = (
            value.decode("utf-8", "replace") + " " + " ".join(f"{n}={v.decode('utf-8', 'replace')}" for n, v in headers)
        )
        assert not [n for n in found if n in text], f"personal data on {topic}: {text[:400]}"
    # every plain command is dead-lettered (and only there, above), but for those the handler refused
    assert dead_copies >= len(sent_plain) - refused_by_handler
    for name, dsn in dsns.items():
        rows = await every_row(dsn)
        assert rows, name
        leaked = [row for row in rows if any(n in row for n in found)]
        assert not leaked, f"personal data in the {name} database: {leaked[0][:400]}"
    for log in sorted(local.log_dir.glob("*.log")):
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
        assert any('"level": "debug"' in line for line in lines), f"{log.name} was not logged at DEBUG"
        leaked = [line for line in lines if any(n in line for n in found)]
        assert not leaked, f"personal data in {log.name}: {leaked[0][:400]}"
