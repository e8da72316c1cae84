"""Dead letters: what they keep, and the operators' `hubnet dlq` tool (list, show, replay once, purge)."""

import asyncio
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from hubnet_common.ops import dlq
from hubnet_common.ops.local.credentials import logged_in, login
from hubnet_common.ops.local.partners import partner_signer
from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.identity import partner_source
from hubnet_common.sdk.messages.referral_commands import AcknowledgeReferral
from hubnet_common.sdk.messages.referral_events import ReferralRequested
from hubnet_common.sdk.topics import on_broker
from hubnet_common.service.settings import Settings
from hubnet_referrals import bootstrap
from hubnet_referrals.settings import ReferralSettings
from tests.conftest import fresh_group_prefix
from tests.integration.conftest import eventually, rows, running
from tests.integration.referral_steps import accepted, consent, referral

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def referrals(new_database, kafka_bootstrap):
    dsn = await new_database("referrals")
    settings = ReferralSettings(pg_dsn=dsn, kafka_bootstrap=kafka_bootstrap, group_prefix=fresh_group_prefix("it"))
    async with running(bootstrap.spec(settings), settings):
        yield dsn, settings


async def produce(
    bootstrap: str, topic: str, value: bytes, key: bytes, headers: list, *, user: str = "partner-bostadsbolaget"
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **login(user))
    await producer.start()
    try:
        await producer.send_and_wait(on_broker(topic, Settings().topic_prefix), value, key=key, headers=headers)
    finally:
        await producer.stop()


def hubnet(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).parent / "hubnet"), *args], capture_output=True, text=True, timeout=60
    )


async def dead_letters(kafka_bootstrap, **filters):
    return await dlq.read(
        logged_in("hubnet-operator", Settings(kafka_bootstrap=kafka_bootstrap)), topic="referral.commands.v1", **filters
    )


async def garbage(kafka_bootstrap):
    return [d for d in await dead_letters(kafka_bootstrap) if d.key == b"R-garbage-1"]


async def test_a_dead_letter_keeps_the_record_and_says_why_who_and_where_from(referrals, kafka_bootstrap):
    _, settings = referrals
    await produce(kafka_bootstrap, "referral.commands.v1", b"\x00 garbage", b"R-garbage-1", [("x-trace", b"abc")])
    [letter] = await eventually(lambda: garbage(kafka_bootstrap), what="the garbage dead-lettered")
    assert letter.value == b"\x00 garbage" and ("x-trace", b"abc") in letter.headers
    assert letter.reason == "invalid-envelope" and "ce_id" in letter.header("dlq_detail")
    assert letter.header("dlq_group") == f"{settings.group_prefix}-referrals-referral.commands.v1"
    topic, partition, offset = letter.original
    assert topic.endswith("referral.commands.v1") and partition >= 0 and offset >= 0 and letter.at is not None


async def test_a_replayed_dead_letter_takes_effect_once(referrals, kafka_bootstrap, partner, watcher):
    dsn, _ = referrals
    async with partner("bostadsbolaget") as sender:
        given = consent()
        accepted(await sender.request(given))
    command = referral(given.consent_id)
    envelope = Envelope.new(type=command.ce_type, source=partner_source("bostadsbolaget"), subject=command.referral_id)
    # As an earlier version of the service left it: dead-lettered for a bug since fixed.
    body = command.model_dump_json().encode()
    signed = partner_signer("bostadsbolaget").sign(
        command.topic, command.referral_id.encode(), envelope.to_headers(), body
    )
    headers = signed + [
        (n, v.encode())
        for n, v in {
            "dlq_reason": "handler-error",
            "dlq_detail": "KeyError('bug')",
            "dlq_group": "hubnet-referrals-old",
            "dlq_topic": "referral.commands.v1",
            "dlq_partition": "0",
            "dlq_offset": "7",
            "dlq_time": (datetime.now(UTC) - timedelta(days=6)).isoformat(),
        }.items()
    ]
    await produce(
        kafka_bootstrap,
        "referral.commands.v1.dlq",
        body,
        command.referral_id.encode(),
        headers,
        user="hubnet-referrals",
    )

    # Its group alone: other tests of the session leave handler errors on this topic too.
    listed = await asyncio.to_thread(
        hubnet,
        "dlq",
        "list",
        "--topic",
        "referral.commands.v1",
        "--reason",
        "handler-error",
        "--group",
        "hubnet-referrals-old",
    )
    assert envelope.id in listed.stdout and "1 dead letter(s)" in listed.stdout
    offset = listed.stdout.split("@")[1].split()[0]
    shown = await asyncio.to_thread(hubnet, "dlq", "show", "referral.commands.v1", offset)
    assert "dlq_detail: KeyError('bug')" in shown.stdout and command.referral_id in shown.stdout
    for _ in range(2):  # replayed twice by mistake, the second after the first was answered: the inbox holds
        replayed = await asyncio.to_thread(
            hubnet, "dlq", "replay", "--topic", "referral.commands.v1", "--offset", offset
        )
        assert replayed.returncode == 0 and "1 dead letter(s) replayed" in replayed.stdout
        await watcher.wait_for(lambda s: getattr(s.body, "command_id", None) == envelope.id)
    async with partner("bostadsbolaget") as sender:
        # Same key, same partition: answered only after the second copy was dealt with.
        later = await sender.request(AcknowledgeReferral(referral_id=command.referral_id))
    assert later.code == "not-permitted"  # only the receiver acknowledges: this changed nothing
    replies = [s.body for s in watcher.seen if getattr(s.body, "command_id", None) == envelope.id]
    assert [r.ce_type for r in replies] == ["se.hubnet.command.accepted.v1"]  # one answer, not a refusal after it
    facts = [s for s in watcher.seen if s.key == command.referral_id and s.topic == "referral.events.v1"]
    assert [type(f.body) for f in facts] == [ReferralRequested]
    assert len(await rows(dsn, "SELECT 1 FROM referrals WHERE id = $1", command.referral_id)) == 1
    history = await rows(dsn, "SELECT status FROM referral_history WHERE referral_id = $1", command.referral_id)
    assert [h["status"] for h in history] == ["requested"]

    purged = await asyncio.to_thread(hubnet, "dlq", "purge", "--topic", "referral.commands.v1")
    assert purged.returncode == 0
    assert await dead_letters(kafka_bootstrap) == []
    unknown = await asyncio.to_thread(hubnet, "dlq", "list", "--topic", "no.such.topic")
    assert unknown.returncode == 2 and "no dead-letter topic" in unknown.stderr
