"""Who sent it, on the real broker: refused messages are dead-lettered and audited, a replayed
command is refused by the broker's own time, and a partner rotates its key through the directory."""

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import TopicPartition

from hubnet_common.ops import dlq
from hubnet_common.ops.local.credentials import logged_in, login
from hubnet_common.ops.local.partners import LocalPartnerClient
from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.identity import partner_source, service_source
from hubnet_common.sdk.kafka import records_until_now
from hubnet_common.sdk.keys import generate, read_key
from hubnet_common.sdk.messages.audit import MessageRejected
from hubnet_common.sdk.messages.directory import PartnerUpserted
from hubnet_common.sdk.messages.directory_commands import RotateSigningKey
from hubnet_common.sdk.messages.hubevent_commands import ScheduleHubEvent
from hubnet_common.sdk.signing import Signer
from hubnet_common.sdk.topics import AUDIT_EVENTS, on_broker
from hubnet_common.service.settings import Settings
from tests.integration.conftest import eventually, publish_fact, rows
from tests.integration.network import three_in_process
from tests.integration.referral_steps import accepted, consent, referral_requested

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def network(new_database, kafka_bootstrap, mail_sink):
    """The referrals, events and notifications services, each with its own database."""
    async with three_in_process(new_database, kafka_bootstrap, mail_sink[0], "it", unknown_key_grace_seconds=3) as dsns:
        yield dsns


async def rejections(
    kafka_bootstrap, claimed_id: str, at_least: int = 1, timeout: float = 20.0
) -> list[MessageRejected]:
    """The audit facts about the record that claimed this ce_id, once there are `at_least` of them."""

    async def mine() -> list[MessageRejected] | None:
        found = [MessageRejected.model_validate_json(r.value) for r in await _audit_records(kafka_bootstrap)]
        about = [f for f in found if f.claimed_id == claimed_id]
        return about if len(about) >= at_least else None

    return await eventually(mine, timeout, every=0.3, what=f"{at_least} rejection(s) of {claimed_id}")


async def _audit_records(kafka_bootstrap):
    topic = on_broker(AUDIT_EVENTS.name, Settings().topic_prefix)
    return await records_until_now(
        kafka_bootstrap, [TopicPartition(topic, p) for p in range(AUDIT_EVENTS.partitions)], **login("hubnet-operator")
    )  # the operators read the audit facts


async def test_unsigned_and_forged_commands_are_refused_dead_lettered_and_audited(network, kafka_bootstrap, partner):
    given = consent()
    body = given.model_dump_json().encode()
    async with partner("bostadsbolaget") as bostadsbolaget:
        unsigned = Envelope.new(type=given.ce_type, source=bostadsbolaget.source, subject=given.subject())
        reply = await bostadsbolaget.request_raw(given.topic, body, unsigned, key=given.subject(), sign=False)
        assert (reply.ce_type, reply.code) == ("se.hubnet.command.rejected.v1", "unsigned")
    async with LocalPartnerClient(kafka_bootstrap, "brg", signer=Signer(_key("partner-brg"))) as brg:
        # brg's own key, bostadsbolaget's name: the answer goes to whom it claims to be, brg hears nothing.
        forged = Envelope.new(type=given.ce_type, source=partner_source("bostadsbolaget"), subject=given.subject())
        await brg.send_raw(given.topic, body, key=given.subject(), headers=forged.to_headers())

    for envelope, code in ((unsigned, "unsigned"), (forged, "source-mismatch")):
        [audit] = await rejections(kafka_bootstrap, envelope.id)
        assert (audit.code, audit.claimed_source, audit.topic_name) == (
            code,
            "urn:hubnet:partner:bostadsbolaget",
            f"{Settings().topic_prefix}referral.commands.v1",
        )
    letters = await dlq.read(
        logged_in("hubnet-operator", Settings(kafka_bootstrap=kafka_bootstrap)), topic="referral.commands.v1"
    )
    assert {(letter.reason, letter.header("ce_id")) for letter in letters} >= {
        ("unsigned", unsigned.id),
        ("source-mismatch", forged.id),
    }
    assert not await rows(network[0], "SELECT 1 FROM consents WHERE id = $1", given.consent_id)


async def test_a_command_sent_again_after_the_window_is_a_replay(network, kafka_bootstrap, partner):
    """The broker stamps command records with its own time (LogAppendTime): a captured command
    sent again later carries its old signed ce_time and is refused, whatever the sender claims."""
    given = consent()
    async with partner("bostadsbolaget") as bostadsbolaget:
        old = replace(
            Envelope.new(type=given.ce_type, source=bostadsbolaget.source, subject=given.subject()),
            time=datetime.now(UTC) - timedelta(minutes=10),
        )
        reply = await bostadsbolaget.request_raw(
            given.topic, given.model_dump_json().encode(), old, key=given.subject()
        )
    assert (reply.ce_type, reply.code) == ("se.hubnet.command.rejected.v1", "replay")
    assert not await rows(network[0], "SELECT 1 FROM consents WHERE id = $1", given.consent_id)


async def test_a_fact_signed_by_a_partner_is_not_taken_for_the_referrals_services(network, kafka_bootstrap):
    fact = referral_requested("R-forged-1", participant_ref="ab" * 32, consent_id="C-forged")
    envelope = Envelope.new(type=fact.ce_type, source=service_source("referrals"), subject=fact.subject())
    await publish_fact(kafka_bootstrap, fact, envelope, signer=Signer(_key("partner-brg")))
    audits = await rejections(kafka_bootstrap, envelope.id, at_least=2)  # by events and by notifications
    assert {(a.code, a.consumer.split("-")[-2]) for a in audits} >= {
        ("source-mismatch", "events"),
        ("source-mismatch", "notifications"),
    }
    assert not await rows(network[2], "SELECT 1 FROM notifications WHERE source_id = $1", envelope.id)


async def test_a_partner_rotates_its_key_and_every_service_follows(network, kafka_bootstrap, watcher):
    old, new = Signer(_key("partner-familjebostader")), generate("ed25519")
    until = datetime.now(UTC) + timedelta(seconds=20)
    async with LocalPartnerClient(kafka_bootstrap, "familjebostader", signer=old) as with_old:
        accepted(
            await with_old.request(RotateSigningKey.to("familjebostader", new.private, previous_valid_until=until))
        )
    entry = await watcher.wait_for(
        lambda s: (
            isinstance(s.body, PartnerUpserted) and s.key == "partner:familjebostader" and len(s.body.signing_keys) == 2
        )
    )
    assert [k.valid_until for k in entry.body.signing_keys] == [until, None]

    event = ScheduleHubEvent(
        hub_id="bergsjon",
        kind="pop-up",
        title="Pop-up: jobb i bostadsbolagen",
        starts_at=datetime.now(UTC) + timedelta(days=3),
        ends_at=datetime.now(UTC) + timedelta(days=3, hours=2),
        capacity=20,
    )
    async with LocalPartnerClient(kafka_bootstrap, "familjebostader", signer=Signer(new.private)) as with_new:
        accepted(await with_new.request(event))  # the events service knows the new key from its directory copy
    async with LocalPartnerClient(kafka_bootstrap, "familjebostader", signer=old) as with_old:
        accepted(await with_old.request(replace_id(event)))  # the old one still counts until `until`
        # A wait for the clock, not for a condition: past `until` and the key cache's 10 s (trust.py).
        # Polling would mean sending more commands, each one a hub event the count below would see.
        await asyncio.sleep(max(0.0, (until - datetime.now(UTC)).total_seconds()) + 11)
        late = await with_old.request(replace_id(event))
    assert (late.ce_type, late.code) == ("se.hubnet.command.rejected.v1", "key-not-valid")
    [row] = await rows(network[1], "SELECT count(*) FROM hub_events WHERE organiser_partner_id = 'familjebostader'")
    assert row[0] == 2


def replace_id(event: ScheduleHubEvent) -> ScheduleHubEvent:
    return event.model_copy(update={"hub_event_id": f"E-{datetime.now(UTC).timestamp():.6f}"})


def _key(name: str) -> str:
    return read_key(Settings().keys_dir / f"{name}.ed25519.key")
