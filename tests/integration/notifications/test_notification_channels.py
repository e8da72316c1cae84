"""Notifications beyond the default rules, against the real broker, PostgreSQL, SMTP server and a
real HTTP receiver: subscriptions, signed webhooks, permanent failures, retries after the SMTP
server comes back, daily digests once per day across restarts, and a graceful restart mid-delivery."""

import asyncio
import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from datetime import time as clock

import pytest

from hubnet_common.ops.local.mail import kept_mails, wait_for_mail
from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.identity import service_source
from hubnet_common.sdk.messages.notification_commands import Subscribe, UpsertStaffMember
from hubnet_common.sdk.messages.notification_events import NotificationDelivered, NotificationFailed
from hubnet_common.sdk.messages.referral_events import ParticipantErased, ReferralRequested
from hubnet_common.sdk.webhook_signature import verify
from hubnet_notifications import bootstrap
from hubnet_notifications.domain.digest import STOCKHOLM
from hubnet_notifications.settings import NotificationSettings
from tests.conftest import ROOT, free_port, fresh_group_prefix
from tests.integration.conftest import publish_facts, rows, running, until
from tests.integration.network import LOCAL_WEBHOOKS
from tests.integration.referral_steps import accepted
from tests.integration.webhook_receiver import receiving, register

pytestmark = pytest.mark.integration


def settings_for(dsn, kafka_bootstrap, smtp_port, **overrides) -> NotificationSettings:
    return NotificationSettings(
        pg_dsn=dsn,
        kafka_bootstrap=kafka_bootstrap,
        group_prefix=fresh_group_prefix("it"),
        smtp_port=smtp_port,
        base_url="https://hubnet.test",
        **LOCAL_WEBHOOKS,  # the receivers are on 127.0.0.1 over http
        **overrides,
    )


@pytest.fixture(scope="module")
async def notifications(new_database, kafka_bootstrap, mail_sink):
    port, mail_dir = mail_sink
    dsn = await new_database("notifications")
    settings = settings_for(dsn, kafka_bootstrap, port)
    async with running(bootstrap.spec(settings), settings):
        yield dsn, mail_dir


def requested(hub_id="hjallbo", receiver="brg", service="brg-business-coaching") -> ReferralRequested:
    return ReferralRequested(
        referral_id=f"R-ch-{uuid.uuid4().hex[:10]}",
        version=1,
        status="requested",
        sender_partner_id="bostadsbolaget",
        receiver_partner_id=receiver,
        service_id=service,
        hub_id=hub_id,
        actor_partner_id="bostadsbolaget",
        at=datetime.now(UTC),
        participant_ref="ab" * 32,
        purpose="own-business",
        consent_id="C-ch",
    )


async def publish(kafka_bootstrap, *facts) -> list[Envelope]:
    envelopes = [Envelope.new(type=f.ce_type, source=service_source("referrals"), subject=f.subject()) for f in facts]
    await publish_facts(kafka_bootstrap, list(zip(facts, envelopes, strict=True)))
    return envelopes


async def test_a_subscriber_hears_only_what_they_asked_for(notifications, kafka_bootstrap, partner):
    _, mail_dir = notifications
    async with partner("brg") as brg, partner("poseidon") as poseidon:
        accepted(await brg.request(Subscribe(staff_id="brg-lena", kinds=["referral.requested"], hub_id="bergsjon")))
        refused = await poseidon.request(Subscribe(staff_id="brg-lena", kinds=["referral.*"]))
    assert refused.code == "not-permitted"
    at_bergsjon, at_hjallbo = requested(hub_id="bergsjon"), requested(hub_id="hjallbo")
    await publish(kafka_bootstrap, at_bergsjon, at_hjallbo)
    await wait_for_mail(mail_dir, at_bergsjon.referral_id, to="lena.strom@brg.example.org")
    await wait_for_mail(mail_dir, at_hjallbo.referral_id, to="sara.nilsson@brg.example.org")
    await asyncio.sleep(0.5)  # room for a mail that must not come: nothing to wait for
    assert not [m for m in kept_mails(mail_dir) if at_hjallbo.referral_id in m.subject and "lena" in m.to]


async def test_a_webhook_receives_a_signed_document_without_personal_data(
    notifications, kafka_bootstrap, partner, watcher
):
    async with receiving() as receiver, partner("brg") as brg:
        await register(brg, "brg", receiver, f"brg-case-system-{uuid.uuid4().hex[:6]}", ["referral.*"])
        fact = requested()
        [envelope] = await publish(kafka_bootstrap, fact)
        done = await watcher.wait_for(
            lambda s: (
                isinstance(s.body, NotificationDelivered)
                and s.body.source_id == envelope.id
                and s.body.channel == "webhook"
            )
        )
        request = next(r for r in receiver.requests if fact.referral_id.encode() in r.body)
    verify(request.body, request.headers["hubnet-signature"], receiver.secret)  # as the partner system checks it
    document = json.loads(request.body)
    assert document["type"] == "referral.requested" and document["subject"] == fact.referral_id
    assert document["status"] == "requested" and "brg" in document["partners"]
    assert request.headers["hubnet-delivery"] == done.body.notification_id == document["id"]
    assert "ab" * 32 not in request.body.decode()  # not even the pseudonymous reference


async def test_a_webhook_that_is_gone_fails_for_good_and_says_so(notifications, kafka_bootstrap, partner, watcher):
    dsn, _ = notifications
    async with receiving(status=410) as receiver, partner("stadsmissionen") as stadsmissionen:
        hook = f"sm-old-system-{uuid.uuid4().hex[:6]}"
        await register(stadsmissionen, "stadsmissionen", receiver, hook, ["referral.requested"])
        [envelope] = await publish(
            kafka_bootstrap, requested(receiver="stadsmissionen", service="stadsmissionen-job-coaching")
        )
        failed = await watcher.wait_for(
            lambda s: isinstance(s.body, NotificationFailed) and s.body.source_id == envelope.id
        )
    assert failed.body.channel == "webhook" and failed.body.attempts == 1 and failed.body.reason == "webhook-refused"
    [row] = await rows(dsn, "SELECT status, last_error FROM notifications WHERE recipient_id = $1", hook)
    assert (row["status"], row["last_error"]) == ("failed", "webhook-refused")


class OwnSink:
    """An SMTP sink of a test's own (other instances in this module mail the session's sink)."""

    def __init__(self, tmp_path, *options: str) -> None:
        self.port, self.mail_dir, self.process = free_port(), tmp_path / "mail", None
        self.options = options
        self.mail_dir.mkdir()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "deploy/local/mailsink.py"),
                "--port",
                str(self.port),
                "--mail-dir",
                str(self.mail_dir),
                *self.options,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(10)


async def test_nothing_is_kept_about_an_erased_residents_referrals_whatever_the_order(notifications, kafka_bootstrap):
    dsn, _ = notifications
    before, after = requested(), requested()
    erased = ParticipantErased(
        participant_ref="ab" * 32,
        reason="requested",
        requested_by_partner_id="bostadsbolaget",
        erased_at=datetime.now(UTC),
        referral_ids=[before.referral_id, after.referral_id],
    )
    await publish(kafka_bootstrap, before)
    await until(dsn, f"SELECT 1 FROM notifications WHERE about_id = '{before.referral_id}'")
    await publish(kafka_bootstrap, erased)
    await until(dsn, f"SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM notifications WHERE about_id = '{before.referral_id}')")
    [late] = await publish(kafka_bootstrap, after)  # a fact of another partition, processed after the erasure
    await until(dsn, f"SELECT 1 FROM inbox WHERE ce_id = '{late.id}'")
    assert await rows(dsn, "SELECT 1 FROM notifications WHERE about_id = ANY($1)", erased.referral_ids) == []


async def test_mail_is_retried_until_the_smtp_server_is_back(new_database, kafka_bootstrap, tmp_path):
    dsn, sink = await new_database("notifications"), OwnSink(tmp_path)
    settings = settings_for(dsn, kafka_bootstrap, sink.port)
    async with running(bootstrap.spec(settings), settings):
        fact = requested()
        await publish(kafka_bootstrap, fact)
        await until(dsn, "SELECT 1 FROM notifications WHERE channel = 'email' AND last_error = 'smtp-unreachable'")
        sink.start()  # the SMTP server comes back
        try:
            mail = await wait_for_mail(sink.mail_dir, fact.referral_id, to="sara.nilsson@brg.example.org", timeout=40)
            await until(
                dsn,
                "SELECT 1 FROM notifications WHERE channel = 'email' AND recipient_id = 'brg-sara'"
                " AND status = 'delivered'",
            )
        finally:
            sink.stop()
    [row] = await rows(
        dsn, "SELECT attempts, last_error FROM notifications WHERE channel = 'email' AND recipient_id = 'brg-sara'"
    )
    assert row["attempts"] >= 2 and fact.referral_id in mail.subject
    assert len([m for m in kept_mails(sink.mail_dir) if "sara" in m.to]) == 1


async def test_a_daily_digest_goes_out_once_a_day_whatever_the_restarts(
    new_database, kafka_bootstrap, tmp_path, partner
):
    dsn, sink = await new_database("notifications"), OwnSink(tmp_path)
    port, mail_dir = sink.port, sink.mail_dir
    sink.start()
    not_yet = settings_for(dsn, kafka_bootstrap, port, digest_at=clock(23, 59, 59), digest_check_seconds=0.2)
    async with running(bootstrap.spec(not_yet), not_yet), partner("brg") as brg:
        accepted(
            await brg.request(
                UpsertStaffMember(
                    staff_id="brg-johan",
                    name="Johan Berg",
                    language="en",
                    email="johan.berg@brg.example.org",
                    delivery="digest",
                    roles=["receives-referrals"],
                )
            )
        )
        # the answer may come from another instance of this module (its own database, its own group)
        await until(dsn, "SELECT 1 FROM staff WHERE id = 'brg-johan' AND delivery = 'digest'")
        first, second = requested(), requested()
        await publish(kafka_bootstrap, first, second)
        await wait_for_mail(mail_dir, second.referral_id, to="sara.nilsson@brg.example.org")
        await until(
            dsn, "SELECT 1 FROM notifications WHERE recipient_id = 'brg-johan' AND mode = 'digest' HAVING count(*) = 2"
        )
    assert not [m for m in kept_mails(mail_dir) if "johan" in m.to]  # not told at once

    local_now = datetime.now(STOCKHOLM)
    due = settings_for(
        dsn,
        kafka_bootstrap,
        port,
        digest_check_seconds=0.2,
        digest_at=(local_now - timedelta(minutes=1)).time() if local_now.hour else clock(0, 0),
    )
    for _ in range(2):  # a restart after the digest went out must not send it again
        async with running(bootstrap.spec(due), due):
            digest = await wait_for_mail(mail_dir, "Summary for", to="johan.berg@brg.example.org")
            await asyncio.sleep(0.6)  # three digest checks in which a second digest must not go out
    assert first.referral_id in digest.text and second.referral_id in digest.text and "2 updates" in digest.subject
    digests = [m for m in kept_mails(mail_dir) if "johan" in m.to and "Summary for" in m.subject]
    assert len(digests) == 1
    [sent] = await rows(dsn, "SELECT items FROM digests_sent WHERE staff_id = 'brg-johan'")
    assert sent["items"] == 2
    sink.stop()


async def test_a_restart_mid_delivery_sends_no_mail_twice(new_database, kafka_bootstrap, tmp_path):
    # Ten mails at a time, each answered half a second after it was sent: the first ten are in
    # when the service is stopped, and most of the rest not yet sent.
    dsn, sink = await new_database("notifications"), OwnSink(tmp_path, "--answer-after", "0.5")
    sink.start()
    settings = settings_for(dsn, kafka_bootstrap, sink.port, graceful_timeout=10.0, delivery_batch=10)
    facts = [requested() for _ in range(40)]
    try:
        async with running(bootstrap.spec(settings), settings):
            await publish(kafka_bootstrap, *facts)
            await until(dsn, "SELECT 1 FROM notifications WHERE channel = 'email' AND status = 'delivered'")
        stopped_with = len(kept_mails(sink.mail_dir))  # the service stopped while it was sending
        async with running(bootstrap.spec(settings), settings):
            await until(
                dsn,
                "SELECT 1 FROM notifications WHERE channel = 'email'"
                " HAVING count(*) = 80 AND count(*) FILTER (WHERE status = 'delivered') = 80",
                timeout=60,
            )
    finally:
        sink.stop()
    mails = [(m.to, m.subject) for m in kept_mails(sink.mail_dir)]
    assert 0 < stopped_with < 80
    assert len(mails) == len(set(mails)) == 80  # every referral to Sara and Johan, each exactly once
