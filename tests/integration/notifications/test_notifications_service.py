"""The notifications service against the real broker, PostgreSQL and a real SMTP server."""

import uuid
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from hubnet_common.ops.local.mail import kept_mails, wait_for_mail
from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.identity import service_source
from hubnet_common.sdk.messages.hubevent_events import HubEventReminder
from hubnet_common.sdk.messages.notification_events import NotificationDelivered
from hubnet_common.sdk.messages.referral_events import (
    ReferralAccepted,
    ReferralCancelled,
    ReferralOverdue,
    ReferralRequested,
)
from hubnet_notifications import bootstrap
from hubnet_notifications.settings import NotificationSettings
from hubnet_referrals import bootstrap as referrals
from hubnet_referrals.settings import ReferralSettings
from tests.conftest import fresh_group_prefix
from tests.integration.conftest import publish_fact, rows, running, until

pytestmark = pytest.mark.integration
STOCKHOLM = ZoneInfo("Europe/Stockholm")


@pytest.fixture(scope="module")
async def notifications(new_database, kafka_bootstrap, mail_sink):
    """The notifications service, with the directory a referrals service publishes on directory.v1."""
    port, mail_dir = mail_sink
    dsn, referrals_dsn = await new_database("notifications"), await new_database("referrals")
    settings = NotificationSettings(
        pg_dsn=dsn,
        kafka_bootstrap=kafka_bootstrap,
        group_prefix=fresh_group_prefix("it"),
        smtp_port=port,
        base_url="https://hubnet.test",
    )
    directory_source = ReferralSettings(
        pg_dsn=referrals_dsn, kafka_bootstrap=kafka_bootstrap, group_prefix=settings.group_prefix
    )
    async with running(referrals.spec(directory_source), directory_source), running(bootstrap.spec(settings), settings):
        for sql in (
            "SELECT 1 FROM known_partners WHERE id = 'brg'",
            "SELECT 1 FROM known_hubs WHERE id = 'hjallbo'",
            "SELECT 1 FROM known_services WHERE id = 'brg-business-coaching'",
        ):
            await until(dsn, sql)
        yield dsn, mail_dir


def requested(referral_id: str) -> ReferralRequested:
    return ReferralRequested(
        referral_id=referral_id,
        version=1,
        status="requested",
        sender_partner_id="bostadsbolaget",
        receiver_partner_id="brg",
        service_id="brg-business-coaching",
        hub_id="hjallbo",
        actor_partner_id="bostadsbolaget",
        at=datetime.now(UTC),
        participant_ref="ef" * 32,
        purpose="own-business",
        consent_id="C-1",
    )


async def test_the_receiving_partners_staff_get_a_mail_an_inbox_entry_and_a_delivery_fact(
    notifications, kafka_bootstrap, watcher
):
    dsn, mail_dir = notifications
    fact = requested(f"R-it-mail-{uuid.uuid4().hex[:8]}")
    rid = fact.referral_id
    envelope = Envelope.new(type=fact.ce_type, source=service_source("referrals"), subject=fact.referral_id)
    await publish_fact(kafka_bootstrap, fact, envelope)

    sara = await wait_for_mail(mail_dir, rid, to="sara.nilsson@brg.example.org")
    johan = await wait_for_mail(mail_dir, rid, to="johan.berg@brg.example.org")
    assert sara.subject.startswith("Ny remiss") and johan.subject.startswith("New referral")  # their languages
    assert f"https://hubnet.test/referrals/{rid}" in sara.text
    assert "ef" * 32 not in sara.text and "C-1" not in sara.text  # nothing about the resident
    recipients = {m.to for m in kept_mails(mail_dir) if rid in m.subject}
    assert recipients == {"sara.nilsson@brg.example.org", "johan.berg@brg.example.org"}  # not the manager

    delivered = await watcher.wait_for(
        lambda s: (
            isinstance(s.body, NotificationDelivered) and s.body.source_id == envelope.id and s.body.channel == "email"
        )
    )
    assert delivered.body.attempts == 1
    inbox = await rows(
        dsn, "SELECT recipient_id FROM notifications WHERE source_id = $1 AND channel = 'inbox'", envelope.id
    )
    assert {r["recipient_id"] for r in inbox} == {"brg-sara", "brg-johan"}


async def test_a_fact_read_days_late_makes_inbox_entries_but_sends_no_mail(notifications, kafka_bootstrap):
    """As when a new instance replays the topic from its beginning: the inbox is rebuilt, nobody
    gets a mail about a referral of last week."""
    dsn, mail_dir = notifications
    fact = requested(f"R-it-old-{uuid.uuid4().hex[:8]}")
    envelope = replace(
        Envelope.new(type=fact.ce_type, source=service_source("referrals"), subject=fact.referral_id),
        time=datetime.now(UTC) - timedelta(days=3),
    )
    await publish_fact(kafka_bootstrap, fact, envelope)
    await until(dsn, f"SELECT 1 FROM inbox WHERE ce_id = '{envelope.id}'")
    told = await rows(dsn, "SELECT recipient_id, channel FROM notifications WHERE source_id = $1", envelope.id)
    assert {(r["recipient_id"], r["channel"]) for r in told} == {("brg-sara", "inbox"), ("brg-johan", "inbox")}
    announced = await rows(
        dsn, "SELECT id FROM outbox WHERE convert_from(body, 'UTF8') LIKE '%' || $1 || '%'", envelope.id
    )
    assert announced == []  # its first reading announced these inbox entries; a replay does not again
    fresh = requested(
        f"R-it-new-{uuid.uuid4().hex[:8]}"
    )  # sent after it: once its mail is there, the old one had its turn
    await publish_fact(
        kafka_bootstrap,
        fresh,
        Envelope.new(type=fresh.ce_type, source=service_source("referrals"), subject=fresh.referral_id),
    )
    await wait_for_mail(mail_dir, fresh.referral_id, to="sara.nilsson@brg.example.org")
    assert not [m for m in kept_mails(mail_dir) if fact.referral_id in m.subject]


async def test_a_fact_delivered_twice_sends_each_mail_once(notifications, kafka_bootstrap):
    dsn, mail_dir = notifications
    fact = requested(f"R-it-twice-{uuid.uuid4().hex[:8]}")
    envelope = Envelope.new(type=fact.ce_type, source=service_source("referrals"), subject=fact.referral_id)
    await publish_fact(kafka_bootstrap, fact, envelope)
    await publish_fact(kafka_bootstrap, fact, envelope)
    later = requested(f"{fact.referral_id}-later")  # same key, so processed after both copies
    await publish_fact(
        kafka_bootstrap,
        later,
        Envelope.new(type=later.ce_type, source=service_source("referrals"), subject=fact.referral_id),
    )
    await wait_for_mail(mail_dir, later.referral_id, to="johan.berg@brg.example.org")
    await wait_for_mail(mail_dir, later.referral_id, to="sara.nilsson@brg.example.org")
    once = [m for m in kept_mails(mail_dir) if fact.referral_id in m.subject and "later" not in m.subject]
    assert sorted(m.to for m in once) == ["johan.berg@brg.example.org", "sara.nilsson@brg.example.org"]
    [count] = await rows(dsn, "SELECT count(*) FROM notifications WHERE source_id = $1", envelope.id)
    assert count[0] == 4  # two staff × (email, inbox)


def changed(model, referral_id: str, **extra):
    return model(
        referral_id=referral_id,
        version=3,
        status=extra.pop("status", "accepted"),
        sender_partner_id="bostadsbolaget",
        receiver_partner_id="brg",
        service_id="brg-business-coaching",
        hub_id="hjallbo",
        actor_partner_id="brg",
        at=datetime.now(UTC),
        **extra,
    )


async def test_the_sender_learns_each_answer(notifications, kafka_bootstrap):
    _, mail_dir = notifications
    fact = changed(ReferralAccepted, f"R-it-answer-{uuid.uuid4().hex[:8]}")
    await publish_fact(
        kafka_bootstrap,
        fact,
        Envelope.new(type=fact.ce_type, source=service_source("referrals"), subject=fact.referral_id),
    )
    mail = await wait_for_mail(mail_dir, fact.referral_id)
    assert mail.to == "amina.hassan@bostadsbolaget.example.org"  # the hub host at Hjällbo who sent it
    assert "har accepterats" in mail.subject and "Business Region Göteborg" in mail.text and "Hjällbo" in mail.text


async def test_an_overdue_referral_escalates_to_the_manager_on_the_second_breach(notifications, kafka_bootstrap):
    _, mail_dir = notifications
    rid = f"R-it-overdue-{uuid.uuid4().hex[:8]}"
    for breach in (1, 2):
        fact = changed(
            ReferralOverdue, rid, status="requested", kind="acknowledge", due_at=datetime.now(UTC), breach=breach
        )
        await publish_fact(
            kafka_bootstrap, fact, Envelope.new(type=fact.ce_type, source=service_source("referrals"), subject=rid)
        )
    await wait_for_mail(mail_dir, "Försenad igen", to="lena.strom@brg.example.org")
    await wait_for_mail(mail_dir, "again", to="johan.berg@brg.example.org")
    first = {
        m.to for m in kept_mails(mail_dir) if rid in m.subject and "igen" not in m.subject and "again" not in m.subject
    }
    assert first == {"sara.nilsson@brg.example.org", "johan.berg@brg.example.org"}


async def test_a_cancellation_by_the_sender_is_told_to_the_receiving_staff(notifications, kafka_bootstrap):
    _, mail_dir = notifications
    fact = changed(
        ReferralCancelled, f"R-it-cancel-{uuid.uuid4().hex[:8]}", status="cancelled", reason_code="no-longer-interested"
    )
    fact = fact.model_copy(update={"actor_partner_id": "bostadsbolaget"})
    await publish_fact(
        kafka_bootstrap,
        fact,
        Envelope.new(type=fact.ce_type, source=service_source("referrals"), subject=fact.referral_id),
    )
    johan = await wait_for_mail(mail_dir, fact.referral_id, to="johan.berg@brg.example.org")
    assert johan.subject.endswith("has been cancelled") and "no-longer-interested" in johan.text
    assert "Bostadsbolaget" in johan.text  # who did it, by name from the directory
    assert not [m for m in kept_mails(mail_dir) if fact.referral_id in m.subject and "amina" in m.to]


async def test_a_reminder_before_a_hub_event_reaches_its_hosts(notifications, kafka_bootstrap):
    _, mail_dir = notifications
    tomorrow = datetime.now(STOCKHOLM).date() + timedelta(days=1)
    starts = datetime.combine(tomorrow, time(18), STOCKHOLM).astimezone(UTC)
    fact = HubEventReminder(
        hub_event_id=f"E-it-{uuid.uuid4().hex[:8]}",
        hub_id="bergsjon",
        occurrence_starts_at=starts,
        organiser_partner_id="goteborgs-stad-arbvux",
        title=f"SFI-kväll {uuid.uuid4().hex[:4]}",
        registered=12,
        waitlisted=3,
        capacity=12,
    )
    await publish_fact(
        kafka_bootstrap,
        fact,
        Envelope.new(type=fact.ce_type, source=service_source("events"), subject=fact.hub_event_id),
    )
    host = await wait_for_mail(mail_dir, fact.title, to="karin.holm@familjebostader.example.org")
    organiser = await wait_for_mail(mail_dir, fact.title, to="per.ek@arbvux.example.org")
    assert host.subject.startswith("Påminnelse") and "12 av 12 platser bokade, 3 på väntelistan" in host.text
    assert "18:00" in organiser.subject  # Stockholm time
