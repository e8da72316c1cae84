"""Forgetting a resident, on the three services as processes: after `hubnet participant erase`,
no plaintext about them is anywhere on any topic or in any table, nothing sealed about them can be
opened by any partner, and another resident's data is as readable as before."""

import asyncio
import json
import os
import re
import subprocess
import sys
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from hubnet_common.ops.local.identities import partner_tokens
from hubnet_common.ops.local.kafka_users import admin_login
from hubnet_common.ops.local.partners import LocalPartnerClient
from hubnet_common.ops.local.watch import TopicWatcher
from hubnet_common.sdk.data_key import DataKeyMissing
from hubnet_common.sdk.kafka import records_until_now
from hubnet_common.sdk.keys import read_key, write_key_pair
from hubnet_common.sdk.messages import referral_commands as c
from hubnet_common.sdk.messages.directory_commands import UpdatePartner
from hubnet_common.sdk.messages.hubevent_commands import RegisterForHubEvent, ScheduleHubEvent
from hubnet_common.sdk.messages.referral_events import ParticipantErased
from hubnet_common.sdk.messages.vocabulary import MainActivity
from hubnet_common.sdk.sealing import ContactDetails, SealingError, open_contact, open_with_data_key, seal_with_data_key
from hubnet_common.sdk.topics import REFERRAL_EVENTS
from hubnet_common.service.settings import Settings
from tests.e2e.stack import data_key_of
from tests.e2e.test_closed_loop import services  # noqa: F401  (the three services, for this module too)
from tests.integration.conftest import rows, until
from tests.integration.referral_steps import accepted, consent, ref_of, referral

pytestmark = pytest.mark.e2e
PARTNERS = ("bostadsbolaget", "brg", "familjebostader", "goteborgs-stad-arbvux", "poseidon", "stadsmissionen")
SEALED = re.compile(r"sealed:v2:[A-Za-z0-9+/]+={0,2}")


class Resident:
    def __init__(self, number: str, contact: ContactDetails, need: str, hold: str, outcome: str) -> None:
        self.number, self.contact, self.need, self.hold, self.outcome = number, contact, need, hold, outcome

    @property
    def ref(self) -> str:
        return ref_of(self.number)  # what the referrals service answers the partner

    @property
    def plaintext(self) -> list[str]:
        digits = self.number.replace("-", "")
        return [
            self.number,
            digits,
            digits[2:],
            self.contact.name,
            self.contact.phone,
            self.contact.email,
            self.contact.note,
            self.need,
            self.hold,
            self.outcome,
        ]


ERASED = Resident(
    "19900101-0017",
    ContactDetails(
        name="Fatima Glömdsson", phone="0709876543", email="fatima.glomdsson@example.net", note="Ring efter 16"
    ),
    need="Vill öppna en syateljé i Hjällbo",
    hold="Fatima är sjukskriven i två veckor",
    outcome="Fatima driver nu sin ateljé",
)
KEPT = Resident(
    "19851224-3174",
    ContactDetails(
        name="Karl Kvarstående", phone="0701112233", email="karl.kvarstaende@example.net", note="Föredrar mejl"
    ),
    need="Vill starta ett cykelkök",
    hold="Karl väntar på lokal",
    outcome="Karl driver cykelkök",
)


async def refer(sender, receiver, url: str, keys: dict, resident: Resident) -> str:
    """Consent, the sender's data key, a referral with sealed contact and need; BRG works it up to a hold."""
    given = consent(resident.number)
    accepted(await sender.request(given))
    key = await asyncio.to_thread(data_key_of, url, resident.ref, "bostadsbolaget", keys["bostadsbolaget"])
    command = referral(
        given.consent_id,
        participant_ref=resident.ref,
        need=seal_with_data_key(resident.need, key),
        sealed_contact=seal_with_data_key(resident.contact, key),
    )
    accepted(await sender.request(command))
    rid = command.referral_id
    for step in (
        c.AcknowledgeReferral(referral_id=rid),
        c.AcceptReferral(referral_id=rid),
        c.StartReferral(referral_id=rid),
        c.HoldReferral(referral_id=rid, reason=seal_with_data_key(resident.hold, key)),
    ):
        accepted(await receiver.request(step))
    return rid


async def complete_one(sender, receiver, url: str, keys: dict, resident: Resident) -> str:
    """A second referral of the resident, closed with an outcome note."""
    rid = await refer(sender, receiver, url, keys, resident)
    key = await asyncio.to_thread(data_key_of, url, resident.ref, "brg", keys["brg"])
    for step in (
        c.ResumeReferral(referral_id=rid),
        c.CompleteReferral(
            referral_id=rid,
            outcome=c.OutcomeReport(
                main_activity=MainActivity.OWN_BUSINESS, note=seal_with_data_key(resident.outcome, key)
            ),
        ),
    ):
        accepted(await receiver.request(step))
    return rid


def hubnet(local, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "HUBNET_REFERRALS_URL": f"http://127.0.0.1:{local.ports['referrals']}",
    }
    return subprocess.run(
        [str(Path(sys.executable).parent / "hubnet"), *args], env=env, capture_output=True, text=True, timeout=60
    )


async def every_record(bootstrap: str) -> list:
    """Every record of every topic of this test run (its prefix), dead letters included, from the beginning."""
    prefix = Settings().topic_prefix
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **admin_login())
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if t.startswith(prefix)]
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    partitions = [TopicPartition(d["topic"], p["partition"]) for d in described for p in d["partitions"]]
    assert any(t.endswith(".dlq") for t in topics) and len(topics) >= 18
    records = await records_until_now(bootstrap, partitions, timeout=60, **admin_login())
    return [
        r.value.decode("utf-8", "replace")
        + " "
        + " ".join(v.decode("utf-8", "replace") for _, v in r.headers)
        + " "
        + (r.key or b"").decode("utf-8", "replace")
        for r in records
    ]


async def every_row(dsn: str) -> list[str]:
    """Every row of every table of a service's database, as text."""
    conn = await asyncpg.connect(dsn)
    try:
        tables = await conn.fetch(
            "SELECT quote_ident(table_name) AS name FROM information_schema.tables"
            " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        )
        return [
            f"{t['name']}: " + " ".join(_text(v) for v in row.values())
            for t in tables
            for row in await conn.fetch(f"SELECT * FROM {t['name']}")
        ]
    finally:
        await conn.close()


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)  # e.g. outbox bodies


def http_json(url: str, partner: str) -> dict:
    request = urllib.request.Request(url, headers=partner_tokens(partner).authorization())
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


async def test_an_erased_resident_cannot_be_read_anywhere_and_another_still_can(services, kafka_bootstrap, tmp_path):
    dsns, _, local, _ = services
    url = f"http://127.0.0.1:{local.ports['referrals']}"
    pairs = {p: write_key_pair(tmp_path, f"partner-{p}", "x25519") for p in ("bostadsbolaget", "brg")}
    keys = {p: read_key(private) for p, (_, private) in pairs.items()}
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=5)
    evening = ScheduleHubEvent(
        hub_id="bergsjon",
        kind="information-evening",
        title="Starta eget-kväll",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        capacity=1,
    )
    async with (
        LocalPartnerClient(kafka_bootstrap, "bostadsbolaget") as sender,
        LocalPartnerClient(kafka_bootstrap, "brg") as brg,
        LocalPartnerClient(kafka_bootstrap, "familjebostader") as familjebostader,
        TopicWatcher(kafka_bootstrap, [REFERRAL_EVENTS]) as watch,
    ):
        for partner, client in (("bostadsbolaget", sender), ("brg", brg)):
            accepted(
                await client.request(
                    UpdatePartner(partner_id=partner, encryption_public_key=read_key(pairs[partner][0]))
                )
            )
        accepted(await familjebostader.request(evening))
        referrals = {}
        for resident in (ERASED, KEPT):
            referrals[resident.ref] = [
                await refer(sender, brg, url, keys, resident),
                await complete_one(sender, brg, url, keys, resident),
            ]
            accepted(
                await sender.request(
                    RegisterForHubEvent(hub_event_id=evening.hub_event_id, participant_ref=resident.ref)
                )
            )
        erased_key = await asyncio.to_thread(data_key_of, url, ERASED.ref, "brg", keys["brg"])
        opened = http_json(f"{url}/referral?id={referrals[ERASED.ref][0]}", "brg")
        assert open_contact(opened["sealed_contact"], erased_key) == ERASED.contact  # readable until erased

        erase = await asyncio.to_thread(
            hubnet,
            local,
            "participant",
            "erase",
            "--partner",
            "bostadsbolaget",
            "--personnummer",
            ERASED.number,
            "--noted-by",
            "Amina Hassan",
        )
        assert erase.returncode == 0, erase.stdout + erase.stderr
        fact = await watch.wait_for(lambda s: isinstance(s.body, ParticipantErased) and s.key == ERASED.ref)
        assert sorted(fact.body.referral_ids) == sorted(referrals[ERASED.ref])
        again = await asyncio.to_thread(
            hubnet,
            local,
            "participant",
            "erase",
            "--partner",
            "brg",
            "--personnummer",
            ERASED.number,
            "--noted-by",
            "Sara Nilsson",
        )
        assert again.returncode == 0  # erasing twice is accepted and changes nothing
        refused = await asyncio.to_thread(
            hubnet,
            local,
            "participant",
            "erase",
            "--partner",
            "poseidon",
            "--personnummer",
            KEPT.number,
            "--noted-by",
            "Ali",
        )
        assert refused.returncode == 1 and "not-permitted" in refused.stdout

    # The events and notifications services have acted on participant.erased.
    await until(
        dsns["events"],
        f"SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM registrations WHERE participant_ref = '{ERASED.ref}')",
    )
    await until(
        dsns["notifications"],
        "SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM notifications WHERE about_id = ANY("
        f"ARRAY['{referrals[ERASED.ref][0]}', '{referrals[ERASED.ref][1]}']))",
    )
    [kept_place] = await rows(dsns["events"], "SELECT status FROM registrations WHERE participant_ref = $1", KEPT.ref)
    assert kept_place["status"] == "registered"  # the erased resident's place went to the waiting one

    # (a) No plaintext about the erased resident on any topic or in any table.
    records = await every_record(kafka_bootstrap)
    tables = [row for dsn in dsns.values() for row in await every_row(dsn)]
    assert len(records) > 50 and len(tables) > 50
    for text in records + tables:
        assert not [p for p in ERASED.plaintext if p in text], f"the erased resident in: {text[:300]}"

    # (b) What is sealed about them is still there, and nobody can open it: no copy of the key is left.
    theirs = [s for text in records + tables for s in SEALED.findall(text) if _opens(s, erased_key)]
    assert len(theirs) >= 8  # contact and need of both referrals, the hold reasons, the outcome note
    for partner in PARTNERS:
        with pytest.raises(DataKeyMissing):
            await asyncio.to_thread(data_key_of, url, ERASED.ref, partner, keys["brg"])
    assert await rows(dsns["referrals"], "SELECT 1 FROM data_key_copies WHERE participant_ref = $1", ERASED.ref) == []
    scrubbed = await rows(
        dsns["referrals"],
        "SELECT status, sealed_contact, need FROM referrals WHERE id = ANY($1)",
        referrals[ERASED.ref],
    )
    assert {tuple(r) for r in scrubbed} == {("cancelled", None, ""), ("completed", None, "")}

    # (c) The other resident's data is as readable by its recipient as before.
    kept_key = await asyncio.to_thread(data_key_of, url, KEPT.ref, "brg", keys["brg"])
    shown = http_json(f"{url}/referral?id={referrals[KEPT.ref][1]}", "brg")
    assert open_contact(shown["sealed_contact"], kept_key) == KEPT.contact
    assert open_with_data_key(shown["need"], kept_key) == KEPT.need
    assert open_with_data_key(shown["history"][-1]["outcome_note"], kept_key) == KEPT.outcome
    for log in local.log_dir.glob("*.log"):
        text = log.read_text(encoding="utf-8", errors="replace")
        assert not [p for p in ERASED.plaintext + KEPT.plaintext if p in text], f"personal data in {log.name}"


def _opens(sealed: str, key: bytes) -> bool:
    try:
        open_with_data_key(sealed, key)
        return True
    except SealingError:
        return False
