"""The referrals service against the real Kafka broker and PostgreSQL."""

import base64

import asyncpg
import pytest

from hubnet_common.ops.local.watch import TopicWatcher
from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.identity import partner_source
from hubnet_common.sdk.messages.directory import HubUpserted, ServiceUpserted
from hubnet_common.sdk.messages.directory_commands import UpdatePartner
from hubnet_common.sdk.messages.referral_commands import AcknowledgeReferral, CreateReferral, EraseParticipant
from hubnet_common.sdk.messages.referral_events import ReferralRequested
from hubnet_common.sdk.sealing import generate_encryption_keys, open_data_key
from hubnet_common.sdk.topics import DIRECTORY
from hubnet_referrals import bootstrap
from hubnet_referrals.adapters import read_model
from hubnet_referrals.adapters.data_keys import partners_copy
from hubnet_referrals.adapters.seed import read_network
from hubnet_referrals.settings import ReferralSettings
from tests.conftest import fresh_group_prefix
from tests.integration.conftest import eventually, rows, running
from tests.integration.referral_steps import accepted, consent, person, ref_of, referral, sealed_number, send_twice

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def referrals(new_database, kafka_bootstrap):
    dsn = await new_database("referrals")
    settings = ReferralSettings(pg_dsn=dsn, kafka_bootstrap=kafka_bootstrap, group_prefix=fresh_group_prefix("it"))
    async with running(bootstrap.spec(settings), settings) as runtime:
        yield dsn, runtime


@pytest.fixture(scope="module")
async def consent_id(referrals, partner):
    given = consent(partners=("brg", "stadsmissionen", "poseidon"))
    async with partner("bostadsbolaget") as bostadsbolaget:
        accepted(await bostadsbolaget.request(given))
    return given.consent_id


@pytest.fixture
def a_referral(consent_id):
    return lambda **overrides: referral(consent_id, **overrides)


async def test_a_referral_is_stored_published_with_its_envelope_and_accepted(referrals, partner, watcher, a_referral):
    dsn, _ = referrals
    command = a_referral()
    async with partner("bostadsbolaget") as bostadsbolaget:
        reply = await bostadsbolaget.request(command)
    assert reply.ce_type == "se.hubnet.command.accepted.v1" and reply.aggregate_id == command.referral_id
    fact = await watcher.wait_for(lambda s: isinstance(s.body, ReferralRequested) and s.key == command.referral_id)
    assert fact.topic == "referral.events.v1"
    assert fact.envelope.source == "urn:hubnet:service:referrals" and fact.envelope.subject == command.referral_id
    assert fact.body.receiver_partner_id == "brg" and fact.body.participant_ref == ref_of()
    [row] = await rows(
        dsn, "SELECT status, version, sender_partner_id FROM referrals WHERE id = $1", command.referral_id
    )
    assert tuple(row) == ("requested", 1, "bostadsbolaget")
    history = await rows(
        dsn, "SELECT status, actor_partner_id FROM referral_history WHERE referral_id = $1", command.referral_id
    )
    assert [tuple(h) for h in history] == [("requested", "bostadsbolaget")]


async def test_a_malformed_command_is_rejected_clearly_and_leaves_no_row(referrals, partner):
    dsn, _ = referrals
    envelope = Envelope.new(type=CreateReferral.ce_type, source=partner_source("bostadsbolaget"), subject="R-bad-1")
    async with partner("bostadsbolaget") as bostadsbolaget:
        not_json = await bostadsbolaget.request_raw("referral.commands.v1", b"\xffnot json", envelope, key="R-bad-1")
        envelope2 = Envelope.new(
            type=CreateReferral.ce_type, source=partner_source("bostadsbolaget"), subject="R-bad-2"
        )
        missing = await bostadsbolaget.request_raw(
            "referral.commands.v1", b'{"referral_id": "R-bad-2", "hub_id": "hjallbo"}', envelope2, key="R-bad-2"
        )
    assert not_json.code == "invalid-body" and "JSON" in not_json.reason
    assert missing.code == "invalid-body"
    assert {"service_id", "participant_ref", "purpose"} <= {e.field for e in missing.errors}
    assert await rows(dsn, "SELECT id FROM referrals WHERE id LIKE 'R-bad-%'") == []


async def test_a_command_breaking_a_rule_is_refused_with_a_code(referrals, partner, a_referral):
    dsn, _ = referrals
    command = a_referral(service_id="poseidon-local-jobs", hub_id="bergsjon")
    async with partner("stadsmissionen") as stadsmissionen:
        reply = await stadsmissionen.request(command)
    assert reply.code == "service-not-at-hub" and "Bergsjön" not in reply.reason and "bergsjon" in reply.reason
    assert await rows(dsn, "SELECT id FROM referrals WHERE id = $1", command.referral_id) == []


async def test_the_same_command_delivered_twice_has_one_effect(referrals, partner, watcher, a_referral):
    dsn, _ = referrals
    command = a_referral()
    envelope = Envelope.new(type=command.ce_type, source=partner_source("bostadsbolaget"), subject=command.referral_id)
    async with partner("bostadsbolaget") as bostadsbolaget:
        await send_twice(bostadsbolaget, command, envelope, watcher)
        # Same key, same partition: answered only after the second copy was dealt with.
        later = await bostadsbolaget.request(AcknowledgeReferral(referral_id=command.referral_id))
    assert later.code == "not-permitted"  # only the receiver acknowledges: this changed nothing
    assert len(await rows(dsn, "SELECT id FROM referrals WHERE id = $1", command.referral_id)) == 1
    facts = [s for s in watcher.seen if isinstance(s.body, ReferralRequested) and s.key == command.referral_id]
    replies = [s.body for s in watcher.seen if getattr(s.body, "command_id", None) == envelope.id]
    assert len(facts) == 1 and [r.ce_type for r in replies] == ["se.hubnet.command.accepted.v1"]
    [inbox] = await rows(dsn, "SELECT count(*) FROM inbox WHERE ce_id = $1", envelope.id)
    assert inbox[0] == 1


async def test_the_directory_is_published_keyed_for_compaction(new_database, kafka_bootstrap):
    # A deployment of its own: what the other tests change in the directory is not counted here.
    dsn = await new_database("referrals")
    settings = ReferralSettings(pg_dsn=dsn, kafka_bootstrap=kafka_bootstrap, group_prefix=fresh_group_prefix("it"))
    partners, hubs, services = read_network()
    seed = sorted(
        [f"partner:{p.id}" for p in partners] + [f"hub:{h.id}" for h in hubs] + [f"service:{s.id}" for s in services]
    )

    async def published() -> list[str]:
        return sorted(
            r["key"]
            for r in await rows(dsn, "SELECT key FROM outbox WHERE topic = 'directory.v1' AND published_at IS NOT NULL")
        )

    async def seed_published() -> bool:
        return set(await published()) >= set(seed)

    async with running(bootstrap.spec(settings), settings):
        await eventually(seed_published, what="the seed published")
        assert await published() == seed  # every partner, hub and service of the seed, each once
    async with TopicWatcher(kafka_bootstrap, [DIRECTORY], from_beginning=True) as directory:
        hub = await directory.wait_for(lambda s: s.key == "hub:hjallbo")
        service = await directory.wait_for(lambda s: s.key == "service:brg-business-coaching")
    assert isinstance(hub.body, HubUpserted) and hub.body.name == "Hjällbo"
    assert isinstance(service.body, ServiceUpserted) and "hjallbo" in service.body.hub_ids


async def test_the_audit_log_keeps_every_answer_and_cannot_be_changed(referrals, partner, a_referral):
    _dsn, runtime = referrals
    command = a_referral()
    async with partner("bostadsbolaget") as bostadsbolaget, partner("poseidon") as poseidon:
        accepted(await bostadsbolaget.request(command))
        refused = await poseidon.request(AcknowledgeReferral(referral_id=command.referral_id))
    assert refused.code == "not-permitted"
    async with runtime.pool.acquire() as conn:
        entries = await read_model.audit_of(conn, command.referral_id, "brg")
        assert await read_model.audit_of(conn, command.referral_id, "poseidon") is None  # not its referral
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("UPDATE audit_log SET outcome = 'accepted' WHERE aggregate_id = $1", command.referral_id)
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("DELETE FROM audit_log WHERE aggregate_id = $1", command.referral_id)
    assert [(e["actor"], e["command_type"], e["outcome"], e["code"]) for e in entries] == [
        ("bostadsbolaget", CreateReferral.ce_type, "accepted", None),
        ("poseidon", AcknowledgeReferral.ce_type, "refused", "not-permitted"),
    ]


async def test_a_residents_data_key_is_kept_only_sealed_and_destroyed_on_erasure(referrals, partner):
    dsn, _ = referrals
    resident = ref_of(person(21))
    keys = {p: generate_encryption_keys() for p in ("bostadsbolaget", "brg")}
    async with partner("bostadsbolaget") as sender, partner("brg") as brg:
        for partner_id, client in (("bostadsbolaget", sender), ("brg", brg)):
            accepted(
                await client.request(
                    UpdatePartner(partner_id=partner_id, encryption_public_key=keys[partner_id].public)
                )
            )
        accepted(await sender.request(consent(person(21), partners=("brg", "poseidon"))))
        copies = await rows(dsn, "SELECT holder, sealed_key FROM data_key_copies WHERE participant_ref = $1", resident)
        assert {r["holder"] for r in copies} == {"bostadsbolaget", "brg", "referrals"}  # poseidon published no key
        conn = await asyncpg.connect(dsn)
        try:
            brg_copy = await partners_copy(conn, resident, "brg")
            assert await partners_copy(conn, resident, "referrals") is None  # the custodian's own is not served
        finally:
            await conn.close()
        data_key = open_data_key(brg_copy, keys["brg"].private)
        assert (
            open_data_key(await _copy_of(dsn, resident, "bostadsbolaget"), keys["bostadsbolaget"].private) == data_key
        )
        assert all(base64.b64encode(data_key).decode() not in r["sealed_key"] for r in copies)

        accepted(
            await brg.request(EraseParticipant(sealed_personnummer=sealed_number(person(21)), noted_by="Sara Nilsson"))
        )
    assert await rows(dsn, "SELECT 1 FROM data_key_copies WHERE participant_ref = $1", resident) == []
    [withdrawn] = await rows(dsn, "SELECT withdrawn_at FROM consents WHERE participant_ref = $1", resident)
    assert withdrawn[0] is not None


async def _copy_of(dsn: str, resident: str, holder: str) -> str:
    [row] = await rows(
        dsn, "SELECT sealed_key FROM data_key_copies WHERE participant_ref = $1 AND holder = $2", resident, holder
    )
    return row[0]
