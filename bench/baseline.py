"""hubnet's work per referral done by plain code (BENCHMARKS.md, "The work of one referral, and a
baseline that does it").

Three processes like the services: `python -m bench.baseline referrals|events|notifications`.
Each uses aiokafka, asyncpg, PyNaCl and aiosmtplib and nothing of hubnet: no framework, no
pydantic models, no logging, no FastStream. They consume, store, sign, check and mail what the
services do for one CreateReferral, in the same tables (made by the services' own migrations,
`bench/baseline_setup.py`), in batches as the services' consumers take them: what one poll returns
(up to 500 records), one transaction per batch, the offsets committed after it. The load
generator is hubnet's partner client (`bench/pipeline.py`), so the commands and their checked
answers are the same records.

The work of one referral, read from the code and counted on the local stack by `python -m
bench.inventory` (hubnet) and `python -m bench.inventory --baseline` (this code), referrals sent
one at a time so that each is a batch of its own. "batch" marks what a batch pays once, whatever
its size; "pass" what a relay or delivery pass pays once.

| process | records | Ed25519 |
| --- | --- | --- |
| load generator (apart) | produces the command, consumes the answer | signs the command, checks the answer |
| referrals | consumes the command; produces the answer and the fact | checks 1, signs 2 |
| events | consumes the fact | checks 1 |
| notifications | consumes the fact; produces 2 notification.delivered (the mails) | checks 1, signs 2 |

Each consumer group commits its offsets once per batch. Records per topic: 1 on
referral.commands.v1, 1 on partner.bostadsbolaget.replies.v1, 1 on referral.events.v1, 4 on
notification.events.v1 (the 2 mails accepted; inbox entries are not announced).

| process: transaction | statement | how often |
| --- | --- | --- |
| referrals: the command batch | BEGIN, COMMIT | batch |
| | INSERT INTO inbox … unnest … ON CONFLICT DO NOTHING RETURNING (the claim) | batch |
| | SELECT service (with its hubs, one join), SELECT partner, SELECT its signing keys | batch |
| | SELECT referral by id (none yet), SELECT consent | referral |
| | INSERT referrals, referral_history, referral_sla (upsert), audit_log | referral |
| | INSERT outbox … unnest (the batch's facts and answers) + pg_notify, one statement | batch |
| referrals: relay pass | BEGIN, SELECT outbox … FOR UPDATE SKIP LOCKED, UPDATE published_at, COMMIT | pass |
| events: the fact batch | BEGIN, INSERT INTO inbox … unnest (the claim), COMMIT (no hub event: no more) | batch |
| notifications: the fact batch | BEGIN, COMMIT, INSERT INTO inbox … unnest (the claim) | batch |
| | SELECT staff (all), SELECT subscriptions (all), SELECT known service, hub, partner | batch |
| | SELECT webhook endpoints in use | batch |
| | INSERT notifications … unnest (4 rows: 2 mails, 2 inbox entries) | referral |
| | SELECT pg_notify('hubnet_deliveries') | batch |
| notifications: delivery pass | BEGIN, SELECT handed over unanswered, SELECT due (claim), UPDATE lease, COMMIT | pass |
| notifications: each mail | UPDATE handed_at (after the mail's last byte; its own connection) | mail |
| | one statement: UPDATE delivered + INSERT outbox + pg_notify (grouped on 2 lanes) | mail or fewer |
| notifications: relay pass | BEGIN, SELECT outbox … FOR UPDATE SKIP LOCKED, UPDATE published_at, COMMIT | pass |

Under load the batch and pass rows are shared, leaving 11 to 13 statements per referral (7 per
referral, 2 handovers, up to 2 acceptance statements; BENCHMARKS.md has the counts). Besides these,
a key missing from hubnet's verifier cache is read from signing_keys (every 10 s); the baseline
keeps its connections and its keys. Mail: 2 per
referral, written as the services' mailer writes them (plain text and HTML, quoted-printable) and
sent over up to 8 kept SMTP sessions to the bench's SMTP server.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import quopri
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.utils import formatdate
from pathlib import Path

import aiosmtplib
import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from nacl.signing import SigningKey, VerifyKey

COMMANDS, FACTS, NOTICES = "referral.commands.v1", "referral.events.v1", "notification.events.v1"
SIGNATURE = "hubnet_signature"
BATCH = 500
OUTBOX_CHANNEL, DELIVERIES_CHANNEL = "hubnet_outbox", "hubnet_deliveries"
SENT_FROM = "hubnet@hubnet.local"


def uuid7() -> str:
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80 | (0x7 << 76) | ((rand >> 64) & 0x0FFF) << 64
    return str(uuid.UUID(int=value | (0b10 << 62) | (rand & ((1 << 62) - 1))))


def headers_of(ce_type: str, source: str, subject: str, trace: str) -> list[list[str]]:
    return [
        ["ce_specversion", "1.0"],
        ["ce_id", uuid7()],
        ["ce_source", source],
        ["ce_type", ce_type],
        ["ce_time", datetime.now(UTC).isoformat()],
        ["ce_subject", subject],
        ["content-type", "application/json"],
        ["traceparent", f"00-{trace}-{os.urandom(8).hex()}-01"],
    ]


def canonical(topic: str, key: bytes | None, headers, body: bytes) -> bytes:
    """The signed form of a record (v2, as the services sign and check it)."""
    signed = sorted(
        (n, v or b"")
        for n, v in headers
        if (n.startswith("ce_") or n in ("content-type", "traceparent")) and n != SIGNATURE
    )
    document = {
        "body_sha256": hashlib.sha256(body).hexdigest(),
        "headers": [[n, v.decode()] for n, v in signed],
        "key": key.decode() if key is not None else None,
        "topic": topic,
        "v": 2,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def key_id(public: bytes) -> str:
    x = base64.urlsafe_b64encode(public).rstrip(b"=").decode()
    jwk = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"), sort_keys=True)
    return "ed25519:" + base64.urlsafe_b64encode(hashlib.sha256(jwk.encode()).digest()).rstrip(b"=").decode()


class Keys:
    """The network's public keys (by key id, with their owner) and this process's signing key."""

    def __init__(self, directory: Path, name: str) -> None:
        self.public: dict[str, tuple[str, VerifyKey]] = {}
        for path in directory.glob("*.ed25519.pub"):
            raw = base64.b64decode(path.read_text().strip())
            kind, owner = path.name.removesuffix(".ed25519.pub").split("-", 1)
            self.public[key_id(raw)] = (f"urn:hubnet:{kind}:{owner}", VerifyKey(raw))
        secret = base64.b64decode((directory / f"service-{name}.ed25519.key").read_text().strip())
        self.signing = SigningKey(secret)
        self.own_id = key_id(bytes(self.signing.verify_key))
        self.source = f"urn:hubnet:service:{name}"

    def check(self, topic: str, record, *, command: bool) -> dict[str, str]:
        """The record's headers, once its signature proves its ce_source sent it."""
        headers = {n: (v or b"").decode() for n, v in record.headers}
        _, key, sig = headers[SIGNATURE].split(";")
        owner, verify = self.public[key[4:]]
        verify.verify(canonical(topic, record.key, record.headers, record.value or b""), base64.b64decode(sig[4:]))
        if owner != headers["ce_source"] or not owner.startswith(
            "urn:hubnet:partner:" if command else "urn:hubnet:service:"
        ):
            raise ValueError(f"{owner} did not send {headers['ce_id']}")
        if command and abs(datetime.fromisoformat(headers["ce_time"]).timestamp() * 1000 - record.timestamp) > 300_000:
            raise ValueError("a replay")
        return headers

    def sign(self, topic: str, key: bytes, headers: list[tuple[str, bytes]], body: bytes) -> list[tuple[str, bytes]]:
        signature = base64.b64encode(self.signing.sign(canonical(topic, key, headers, body)).signature).decode()
        return [*headers, (SIGNATURE, f"v2;key={self.own_id};sig={signature}".encode())]


class Process:
    """One baseline service: its consumer, producer, connections and outbox relay."""

    def __init__(self, name: str) -> None:
        self.name, self.prefix = name, os.environ["HUBNET_TOPIC_PREFIX"]
        self.bootstrap, self.dsn = os.environ["HUBNET_KAFKA_BOOTSTRAP"], os.environ["BASELINE_DSN"]
        self.login = json.loads(os.environ["BASELINE_KAFKA_LOGIN"])
        self.keys = Keys(Path(os.environ["HUBNET_KEYS_DIR"]), name)
        self.outbox: list[tuple] = []
        self.producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap, enable_idempotence=True, acks="all", linger_ms=2, **self.login
        )

    async def start(self) -> None:
        self.conn = await asyncpg.connect(self.dsn)
        await self.producer.start()

    def consumer(self, topic: str) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            self.prefix + topic,
            bootstrap_servers=self.bootstrap,
            group_id=f"{self.prefix}hubnet-{self.name}-{topic}",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            max_poll_records=BATCH,
            **self.login,
        )

    def emit(self, topic: str, ce_type: str, subject: str, body: dict, trace: str) -> None:
        headers = headers_of(ce_type, self.keys.source, subject, trace)
        self.outbox.append((headers[1][1], topic, subject, json.dumps(headers), json.dumps(body).encode()))

    async def write_outbox(self, conn: asyncpg.Connection, wake: set[str]) -> None:
        """The batch's messages and its NOTIFYs in one statement, as a unit of work commits them."""
        if self.outbox:
            await conn.execute(
                "WITH written AS (INSERT INTO outbox (id, topic, key, headers, body)"
                " SELECT id, topic, key, headers, body"
                " FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[], $5::bytea[])"
                " WITH ORDINALITY AS m(id, topic, key, headers, body, n) ORDER BY n RETURNING 1)"
                " SELECT pg_notify(c, '') FROM unnest($6::text[]) AS c",
                *map(list, zip(*self.outbox, strict=True)),
                sorted(wake | {OUTBOX_CHANNEL}),
            )
            self.outbox = []
        elif wake:
            await conn.execute("SELECT pg_notify(c, '') FROM unnest($1::text[]) AS c", sorted(wake))

    async def consume(self, topic: str, apply: Callable[[asyncpg.Connection, list], Awaitable[None]], *, command: bool):
        consumer = self.consumer(topic)
        await consumer.start()
        while not consumer.assignment():
            await consumer.getmany(timeout_ms=100)
        print("ready", flush=True)
        while True:
            polled = await consumer.getmany(timeout_ms=100, max_records=BATCH)  # as HUBNET_CONSUME_IDLE_MS
            batch = [
                (self.keys.check(topic, r, command=command), json.loads(r.value))
                for records in polled.values()
                for r in records
            ]
            if not batch:
                continue
            async with self.conn.transaction():
                fresh = {
                    row["ce_id"]
                    for row in await self.conn.fetch(
                        "INSERT INTO inbox (consumer_group, ce_id, ce_type) SELECT $1, id, type"
                        " FROM unnest($2::text[], $3::text[]) AS m(id, type) ON CONFLICT DO NOTHING RETURNING ce_id",
                        f"{self.prefix}hubnet-{self.name}-{topic}",
                        [h["ce_id"] for h, _ in batch],
                        [h["ce_type"] for h, _ in batch],
                    )
                }
                wake: set[str] = set()
                await apply(self.conn, [(h, body) for h, body in batch if h["ce_id"] in fresh], wake)
                await self.write_outbox(self.conn, wake)
            await consumer.commit()

    async def relay(self) -> None:
        """Publish the outbox in order, signed; woken by NOTIFY, else once a second."""
        woken = asyncio.Event()
        listener, conn = await asyncpg.connect(self.dsn), await asyncpg.connect(self.dsn)
        await listener.add_listener(OUTBOX_CHANNEL, lambda *_: woken.set())
        while True:
            woken.clear()
            async with conn.transaction():
                rows = await conn.fetch(
                    "SELECT id, topic, key, headers, body FROM outbox WHERE published_at IS NULL"
                    " ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED",
                    BATCH,
                )
                if rows:
                    sent = [await self.send(row) for row in rows]
                    await asyncio.gather(*sent)
                    await conn.execute(
                        "UPDATE outbox SET published_at = now() WHERE id = ANY($1::uuid[])", [r["id"] for r in rows]
                    )
            if len(rows) < BATCH:
                try:
                    await asyncio.wait_for(woken.wait(), 1.0)
                except TimeoutError:
                    pass

    async def send(self, row) -> asyncio.Future:
        key, body = row["key"].encode(), row["body"]
        headers = self.keys.sign(row["topic"], key, [(n, v.encode()) for n, v in json.loads(row["headers"])], body)
        return await self.producer.send(self.prefix + row["topic"], body, key=key, headers=headers)


# --- referrals ---------------------------------------------------------------------------------

REFERRAL_COLUMNS = (
    "id, sender_partner_id, receiver_partner_id, service_id, hub_id, participant_ref, purpose, need,"
    " consent_id, sealed_contact, requested_at, status, version"
)
HISTORY_COLUMNS = (
    "referral_id, version, action, status, actor_partner_id, at, reason_code, reason, note, main_activity,"
    " public_support_continues, outcome_note"
)


def covers(consent: asyncpg.Record | None, command: dict, receiver: str, at: datetime) -> bool:
    return (
        consent is not None
        and consent["participant_ref"] == command["participant_ref"]
        and receiver in consent["partner_ids"]
        and command["purpose"] in consent["purposes"]
        and consent["withdrawn_at"] is None
        and consent["given_at"] <= at < consent["valid_until"]
    )


async def referrals(process: Process) -> None:
    async def apply(conn: asyncpg.Connection, batch: list, _wake: set[str]) -> None:
        services: dict[str, asyncpg.Record | None] = {}
        partners: dict[str, tuple] = {}
        for headers, command in batch:
            sender = headers["ce_source"].removeprefix("urn:hubnet:partner:")
            at = datetime.fromisoformat(headers["ce_time"])
            exists = await conn.fetchrow("SELECT * FROM referrals WHERE id = $1", command["referral_id"])
            if command["service_id"] not in services:
                services[command["service_id"]] = await conn.fetchrow(
                    "SELECT s.id, s.partner_id, s.name, s.active, s.available_places, s.capacity_updated_at,"
                    " s.ack_within_days, s.answer_within_days, s.eligibility, s.languages, s.contact_email,"
                    " s.contact_phone, s.needs,"
                    " coalesce(array_agg(l.hub_id ORDER BY l.hub_id) FILTER (WHERE l.hub_id IS NOT NULL), '{}')"
                    " AS hub_ids FROM services s LEFT JOIN service_at_location l ON l.service_id = s.id"
                    " WHERE s.id = $1 GROUP BY s.id",
                    command["service_id"],
                )
            if sender not in partners:
                partners[sender] = (
                    await conn.fetchrow(
                        "SELECT id, name, active, encryption_public_key FROM partners WHERE id = $1", sender
                    ),
                    await conn.fetch(
                        "SELECT owner, public_key, valid_from, valid_until FROM signing_keys WHERE owner = $1"
                        " ORDER BY valid_from NULLS FIRST, key_id",
                        headers["ce_source"],
                    ),
                )
            service = services[command["service_id"]]
            consent = await conn.fetchrow(
                "SELECT id, participant_ref, partner_ids, purposes, method, noted_by, recorded_by_partner_id,"
                " given_at, valid_until, withdrawn_at, withdrawn_noted_by FROM consents WHERE id = $1",
                command["consent_id"],
            )
            if exists or service is None or not covers(consent, command, service["partner_id"], at):
                continue  # not in the benchmark: every command there is accepted
            receiver = service["partner_id"]
            await conn.execute(
                f"INSERT INTO referrals ({REFERRAL_COLUMNS})"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'requested', 1)",
                command["referral_id"],
                sender,
                receiver,
                command["service_id"],
                command["hub_id"],
                command["participant_ref"],
                command["purpose"],
                command.get("need") or "",
                command["consent_id"],
                command.get("sealed_contact"),
                at,
            )
            await conn.executemany(
                f"INSERT INTO referral_history ({HISTORY_COLUMNS})"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                [(command["referral_id"], 1, "request", "requested", sender, at, None, "", "", None, None, "")],
            )
            due = at + timedelta(days=service["ack_within_days"])
            await conn.execute(
                "INSERT INTO referral_sla (referral_id, kind, period_days, due_at, breaches) VALUES ($1, $2, $3, $4, 0)"
                " ON CONFLICT (referral_id, kind) DO UPDATE SET period_days = $3, due_at = $4, breaches = 0,"
                " stopped_at = NULL",
                command["referral_id"],
                "acknowledge",
                service["ack_within_days"],
                due,
            )
            await conn.execute(
                "INSERT INTO audit_log (aggregate_id, actor, command_type, command_id, sent_at, outcome, code)"
                " VALUES ($1, $2, $3, $4, $5, 'accepted', NULL)",
                command["referral_id"],
                sender,
                headers["ce_type"],
                headers["ce_id"],
                at,
            )
            trace = headers["traceparent"].split("-")[1]
            process.emit(
                FACTS,
                "se.hubnet.referral.requested.v1",
                command["referral_id"],
                {
                    "referral_id": command["referral_id"],
                    "version": 1,
                    "status": "requested",
                    "sender_partner_id": sender,
                    "receiver_partner_id": receiver,
                    "service_id": command["service_id"],
                    "hub_id": command["hub_id"],
                    "actor_partner_id": sender,
                    "at": at.isoformat().replace("+00:00", "Z"),
                    "participant_ref": command["participant_ref"],
                    "purpose": command["purpose"],
                    "consent_id": command["consent_id"],
                    "sealed_contact": command.get("sealed_contact"),
                    "ack_due_at": due.isoformat().replace("+00:00", "Z"),
                    "hub_event_id": command.get("hub_event_id"),
                    "occurrence_starts_at": command.get("occurrence_starts_at"),
                },
                trace,
            )
            process.emit(
                f"partner.{sender}.replies.v1",
                "se.hubnet.command.accepted.v1",
                command["referral_id"],
                {
                    "command_id": headers["ce_id"],
                    "command_type": headers["ce_type"],
                    "recipient": headers["ce_source"],
                    "aggregate_id": command["referral_id"],
                    "participant_ref": None,
                    "sealed_secret": None,
                },
                trace,
            )

    await asyncio.gather(process.relay(), process.consume(COMMANDS, apply, command=True))


# --- events --------------------------------------------------------------------------------------


async def events(process: Process) -> None:
    async def apply(conn: asyncpg.Connection, batch: list, _wake: set[str]) -> None:
        """A referral to no hub event registers nobody: the inbox rows are all of it."""

    await process.consume(FACTS, apply, command=False)


# --- notifications -------------------------------------------------------------------------------

NOTIFICATION_COLUMNS = (
    "id, source_id, source_type, recipient_id, channel, subject, body, link, status, attempts, mode,"
    " document, traceparent, about_id"
)
NO_PERSONAL_DATA = {
    "sv": "Meddelandet innehåller inga personuppgifter.",
    "en": "This message contains no personal data.",
}
RECORD = """
WITH outcome AS (
    SELECT * FROM unnest($1::uuid[], $2::int[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::bytea[])
        AS o(notification_id, attempts, id, topic, key, headers, body)
), done AS (
    UPDATE notifications n SET status = 'delivered', attempts = o.attempts, last_error = NULL,
        delivered_at = clock_timestamp()
    FROM outcome o WHERE n.id = o.notification_id AND n.status = 'pending'
    RETURNING n.id
), announced AS (
    INSERT INTO outbox (id, topic, key, headers, body)
    SELECT o.id, o.topic, o.key, o.headers::jsonb, o.body FROM outcome o JOIN done ON done.id = o.notification_id
    RETURNING 1
)
SELECT count(*) AS announced, (SELECT pg_notify('hubnet_outbox', '') WHERE EXISTS (SELECT 1 FROM announced))
FROM announced
"""


def wording(language: str, fact: dict, names: dict[str, str], link: str) -> tuple[str, str]:
    if language != "sv":
        return (
            f"New referral {fact['referral_id']} to you at {names['hub']}",
            f"{names['sender']} has referred a resident to {names['service']} at the {names['hub']} hub.\n\n"
            f"Open the referral: {link}\n\n{NO_PERSONAL_DATA['en']}",
        )
    return (
        f"Ny remiss {fact['referral_id']} till er vid {names['hub']}",
        f"{names['sender']} har skickat en remiss till {names['service']} vid hubben i {names['hub']}.\n\n"
        f"Öppna remissen: {link}\n\n{NO_PERSONAL_DATA['sv']}",
    )


def delivered(notification_id: str, fact_id: str, recipient: str, channel: str, attempts: int) -> dict:
    return {
        "notification_id": notification_id,
        "source_id": fact_id,
        "source_type": "se.hubnet.referral.requested.v1",
        "recipient_id": recipient,
        "channel": channel,
        "attempts": attempts,
    }


async def notifications(process: Process) -> None:
    base_url = os.environ.get("HUBNET_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

    async def apply(conn: asyncpg.Connection, batch: list, wake: set[str]) -> None:
        if not batch:
            return
        staff = await conn.fetch(
            "SELECT id, name, email, partner_id, hubs, roles, language, delivery, active FROM staff"
        )
        await conn.fetch("SELECT id, staff_id, kinds, partner_id, service_id, hub_id FROM subscriptions")
        known: dict[tuple[str, str], str] = {}
        await conn.fetch(
            "SELECT id, partner_id, url, sealed_secret AS secret, kinds, active FROM webhook_endpoints WHERE active"
        )
        for headers, fact in batch:
            names = {}
            for name, table, field in (("hub", "known_hubs", "hub_id"), ("service", "known_services", "service_id"),
                                       ("sender", "known_partners", "sender_partner_id")):  # fmt: skip
                if (table, fact[field]) not in known:
                    row = await conn.fetchrow(f"SELECT id, name, active FROM {table} WHERE id = $1", fact[field])
                    known[(table, fact[field])] = row["name"] if row else fact[field]
                names[name] = known[(table, fact[field])]
            told = [
                s
                for s in staff
                if s["partner_id"] == fact["receiver_partner_id"]
                and "receives-referrals" in s["roles"]
                and (not s["hubs"] or fact["hub_id"] in s["hubs"])
            ]
            link = f"{base_url}/referrals/{fact['referral_id']}"
            rows = []
            for member in told:
                subject, body = wording(member["language"], fact, names, link)
                for channel in ("email", "inbox"):
                    status = "delivered" if channel == "inbox" else "pending"
                    mode = member["delivery"] if channel == "email" else "immediate"
                    fact_id, traceparent, about = headers["ce_id"], headers["traceparent"], headers["ce_subject"]
                    rows.append(
                        (
                            uuid7(),
                            fact_id,
                            headers["ce_type"],
                            member["id"],
                            channel,
                            subject,
                            body,
                            link,
                            status,
                            0,
                            mode,
                            None,
                            traceparent,
                            about,
                        )
                    )
            if not rows:
                continue
            stored = await conn.fetch(
                f"INSERT INTO notifications ({NOTIFICATION_COLUMNS}, delivered_at)"
                " SELECT id, source_id, source_type, recipient_id, channel, subject, body, link, status, attempts,"
                " mode, document::jsonb, traceparent, about_id, CASE WHEN status = 'delivered' THEN now() END"
                " FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],"
                " $8::text[], $9::text[], $10::int[], $11::text[], $12::text[], $13::text[], $14::text[])"
                f" AS n({NOTIFICATION_COLUMNS})"
                " WHERE NOT EXISTS (SELECT 1 FROM forgotten f WHERE f.about_id = n.about_id)"
                " ON CONFLICT (source_id, recipient_id, channel) DO NOTHING RETURNING id, status",
                *map(list, zip(*rows, strict=True)),
            )
            if any(r["status"] == "pending" for r in stored):
                wake.add(DELIVERIES_CHANNEL)

    await asyncio.gather(process.relay(), Deliveries(process).run(), process.consume(FACTS, apply, command=False))


class Deliveries:
    """The delivery worker: claims due mails, sends them over kept sessions, writes the handover
    right after each mail and records its acceptance (grouped on two lanes)."""

    def __init__(self, process: Process) -> None:
        self.process = process
        self.sessions: list[aiosmtplib.SMTP] = []
        self.slots = asyncio.Semaphore(8)
        self.handover_conns: list[asyncpg.Connection] = []
        self.lanes: list[Lane] = []

    async def run(self) -> None:
        dsn = self.process.dsn
        self.conn, listener = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
        self.lanes = [Lane(await asyncpg.connect(dsn, server_settings={"synchronous_commit": "off"})) for _ in range(2)]
        woken = asyncio.Event()
        await listener.add_listener(DELIVERIES_CHANNEL, lambda *_: woken.set())
        while True:
            woken.clear()
            if await self.deliver_due():
                continue
            try:
                await asyncio.wait_for(woken.wait(), 0.2)
            except TimeoutError:
                pass

    async def deliver_due(self) -> int:
        async with self.conn.transaction():
            await self.conn.fetch(
                f"SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE status = 'pending' AND handed_at IS NOT NULL"
                " AND next_attempt_at <= now() LIMIT $1 FOR UPDATE SKIP LOCKED",
                100,
            )
            due = await self.conn.fetch(
                f"SELECT {', '.join('n.' + c for c in NOTIFICATION_COLUMNS.split(', '))},"
                " coalesce(s.email, w.url) AS address, w.sealed_secret"
                " FROM notifications n LEFT JOIN staff s ON n.channel = 'email' AND s.id = n.recipient_id"
                " LEFT JOIN webhook_endpoints w ON n.channel = 'webhook' AND w.id = n.recipient_id"
                " WHERE n.status = 'pending' AND n.mode = 'immediate' AND n.next_attempt_at <= now()"
                " AND n.handed_at IS NULL ORDER BY n.next_attempt_at LIMIT $1 FOR UPDATE OF n SKIP LOCKED",
                100,
            )
            await self.conn.execute(
                "UPDATE notifications SET next_attempt_at = now() + $2 WHERE id = ANY($1::uuid[])",
                [r["id"] for r in due],
                timedelta(seconds=30),
            )
        await asyncio.gather(*(self.send(n) for n in due))
        return len(due)

    async def send(self, n) -> None:
        mail = compose(n["address"], n["subject"], n["body"], n["link"], str(n["id"]))
        async with self.slots:  # a handover connection per session in use, not per mail of the batch
            handover = self.handover_conns.pop() if self.handover_conns else await asyncpg.connect(self.process.dsn)
            session = self.sessions.pop() if self.sessions else None
            if session is None:
                session = aiosmtplib.SMTP(hostname="127.0.0.1", port=int(os.environ["HUBNET_SMTP_PORT"]))
                await session.connect()
            await session.sendmail(SENT_FROM, [n["address"]], mail)
            self.sessions.append(session)
            await handover.execute(
                f"UPDATE notifications SET handed_at = clock_timestamp() WHERE id = '{n['id']}' AND status = 'pending'"
            )
            self.handover_conns.append(handover)
        headers = headers_of("se.hubnet.notification.delivered.v1", self.process.keys.source, str(n["id"]),
                             n["traceparent"].split("-")[1])  # fmt: skip
        body = json.dumps(delivered(str(n["id"]), n["source_id"], n["recipient_id"], "email", 1)).encode()
        fact = (headers[1][1], NOTICES, str(n["id"]), json.dumps(headers), body)
        await min(self.lanes, key=Lane.load).record(n["id"], fact)


class Lane:
    """Acceptances recorded on a connection of its own: at once when idle, else with all that
    arrived while the statement in flight ran."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn, self.queue, self.writing = conn, [], False
        self.written = asyncio.Condition()

    def load(self) -> tuple[bool, int]:
        return self.writing, len(self.queue)

    async def record(self, notification_id, fact: tuple) -> None:
        self.queue.append((notification_id, fact))
        if self.writing:
            async with self.written:
                await self.written.wait_for(lambda: not self.writing)
            return
        self.writing = True
        try:
            while self.queue:
                batch, self.queue = self.queue, []
                facts = [f for _, f in batch]
                await self.conn.fetchrow(
                    RECORD, [b[0] for b in batch], [1] * len(batch), *map(list, zip(*facts, strict=True))
                )
        finally:
            self.writing = False
            async with self.written:
                self.written.notify_all()


def encoded_words(text: str) -> str:
    """The subject as RFC 2047 base64 words of at most 36 bytes, as the services' mailer writes it."""
    if len(text) <= 60 and text.isascii() and text.isprintable() and "=?" not in text:
        return text
    words, word = [], b""
    for character in text:
        encoded = character.encode()
        if len(word) + len(encoded) > 36:
            words.append(word)
            word = b""
        word += encoded
    words.append(word)
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(w).decode()}?=" for w in words)


def compose(to: str, subject: str, text: str, link: str, message_id: str) -> bytes:
    """Plain text and HTML, quoted-printable UTF-8, as the services' mailer writes a mail."""
    boundary = f"hubnet-{message_id}"
    html = "<p>" + text.replace("\n\n", "</p><p>").replace(link, f'<a href="{link}">{link}</a>') + "</p>"
    head = [
        f"From: {SENT_FROM}",
        f"To: {to}",
        f"Subject: {encoded_words(subject)}",
        f"Message-ID: <{message_id}@hubnet>",
        f"Date: {formatdate(usegmt=True)}",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
    ]
    parts = [
        f"--{boundary}\r\nContent-Type: text/{kind}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable"
        f"\r\n\r\n{quopri.encodestring(body.encode()).decode('ascii').replace(chr(10), chr(13) + chr(10))}"
        for kind, body in (("plain", text), ("html", html))
    ]
    return ("\r\n".join(head) + "\r\n\r\n" + "\r\n".join(parts) + f"\r\n--{boundary}--\r\n").encode("ascii")


ROLES = {"referrals": referrals, "events": events, "notifications": notifications}


async def main(role: str) -> None:
    process = Process(role)
    await process.start()
    await ROLES[role](process)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
