"""A partner takes back what it set up on notification.commands.v1 (README.md: `RemoveStaffMember`,
`Unsubscribe`, `RemoveWebhook`), against the real broker, PostgreSQL, SMTP server and an HTTP
receiver: from then on the member, the subscription or the endpoint is told nothing, while
everyone else still is; and no partner can take back another's."""

import uuid
from datetime import UTC, datetime

import pytest

from hubnet_common.ops.local.mail import wait_for_mail
from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.identity import service_source
from hubnet_common.sdk.messages.notification_commands import (
    RemoveStaffMember,
    RemoveWebhook,
    Subscribe,
    Unsubscribe,
    UpsertStaffMember,
)
from hubnet_common.sdk.messages.notification_events import NotificationDelivered
from hubnet_common.sdk.messages.referral_events import ReferralRequested
from hubnet_notifications import bootstrap
from hubnet_notifications.settings import NotificationSettings
from tests.conftest import fresh_group_prefix
from tests.integration.conftest import publish_facts, rows, running, until
from tests.integration.network import LOCAL_WEBHOOKS
from tests.integration.referral_steps import accepted
from tests.integration.webhook_receiver import receiving, register

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def notifications(new_database, kafka_bootstrap, mail_sink):
    port, mail_dir = mail_sink
    dsn = await new_database("notifications")
    settings = NotificationSettings(
        pg_dsn=dsn,
        kafka_bootstrap=kafka_bootstrap,
        group_prefix=fresh_group_prefix("it"),
        smtp_port=port,
        base_url="https://hubnet.test",
        **LOCAL_WEBHOOKS,  # the receivers are on 127.0.0.1 over http
    )
    async with running(bootstrap.spec(settings), settings):
        yield dsn, mail_dir


def requested(hub_id: str = "hjallbo") -> ReferralRequested:
    return ReferralRequested(
        referral_id=f"R-self-{uuid.uuid4().hex[:10]}",
        version=1,
        status="requested",
        sender_partner_id="bostadsbolaget",
        receiver_partner_id="brg",
        service_id="brg-business-coaching",
        hub_id=hub_id,
        actor_partner_id="bostadsbolaget",
        at=datetime.now(UTC),
        participant_ref="ab" * 32,
        purpose="own-business",
        consent_id="C-self",
    )


def code_of(reply) -> str:
    """The refusal's code; "accepted" for an answer that accepted the command."""
    return getattr(reply, "code", "accepted")


async def told_about(dsn: str, kafka_bootstrap: str, fact: ReferralRequested) -> set[tuple[str, str]]:
    """Publish the fact, wait until the service has processed it; (recipient, channel) it made."""
    envelope = Envelope.new(type=fact.ce_type, source=service_source("referrals"), subject=fact.subject())
    await publish_facts(kafka_bootstrap, [(fact, envelope)])
    await until(dsn, f"SELECT 1 FROM inbox WHERE ce_id = '{envelope.id}'")
    made = await rows(dsn, "SELECT recipient_id, channel FROM notifications WHERE source_id = $1", envelope.id)
    return {(r["recipient_id"], r["channel"]) for r in made}


async def test_a_removed_staff_member_is_told_nothing_more(notifications, kafka_bootstrap, partner):
    dsn, mail_dir = notifications
    staff_id = f"brg-new-{uuid.uuid4().hex[:6]}"
    email = f"{staff_id}@brg.example.org"
    async with partner("brg") as brg, partner("poseidon") as poseidon:
        accepted(
            await brg.request(
                UpsertStaffMember(
                    staff_id=staff_id, name="Ny Coach", email=email, roles=["receives-referrals"], language="sv"
                )
            )
        )
        before = requested()
        assert {(staff_id, "email"), (staff_id, "inbox")} <= await told_about(dsn, kafka_bootstrap, before)
        await wait_for_mail(mail_dir, before.referral_id, to=email)

        assert code_of(await poseidon.request(RemoveStaffMember(staff_id=staff_id))) == "not-permitted"
        accepted(await brg.request(RemoveStaffMember(staff_id=staff_id)))
    after = requested()
    told = await told_about(dsn, kafka_bootstrap, after)
    assert {recipient for recipient, _ in told} >= {"brg-sara", "brg-johan"}  # the others still are
    assert not {recipient for recipient, _ in told if recipient == staff_id}


async def test_after_unsubscribing_a_subscriber_hears_no_more(notifications, kafka_bootstrap, partner):
    dsn, _ = notifications
    subscription = f"S-self-{uuid.uuid4().hex[:6]}"
    async with partner("brg") as brg:
        accepted(
            await brg.request(
                Subscribe(
                    subscription_id=subscription, staff_id="brg-lena", kinds=["referral.requested"], hub_id="bergsjon"
                )
            )
        )
        assert ("brg-lena", "email") in await told_about(dsn, kafka_bootstrap, requested(hub_id="bergsjon"))

        accepted(await brg.request(Unsubscribe(subscription_id=subscription, staff_id="brg-lena")))
        told = await told_about(dsn, kafka_bootstrap, requested(hub_id="bergsjon"))
        assert "brg-sara" in {recipient for recipient, _ in told}
        assert not {recipient for recipient, _ in told if recipient == "brg-lena"}
        again = await brg.request(Unsubscribe(subscription_id=subscription, staff_id="brg-lena"))
    assert code_of(again) == "unknown"  # it is gone, not just hidden


async def test_a_removed_webhook_is_called_no_more(notifications, kafka_bootstrap, partner, watcher):
    dsn, _ = notifications
    hook = f"brg-case-system-{uuid.uuid4().hex[:6]}"
    async with receiving() as receiver, partner("brg") as brg, partner("stadsmissionen") as stadsmissionen:
        await register(brg, "brg", receiver, hook, ["referral.*"])
        before = requested()
        assert (hook, "webhook") in await told_about(dsn, kafka_bootstrap, before)
        await watcher.wait_for(lambda s: isinstance(s.body, NotificationDelivered) and s.body.recipient_id == hook)
        assert any(before.referral_id.encode() in r.body for r in receiver.requests)

        assert code_of(await stadsmissionen.request(RemoveWebhook(webhook_id=hook))) == "not-permitted"
        accepted(await brg.request(RemoveWebhook(webhook_id=hook)))
        after = requested()
        told = await told_about(dsn, kafka_bootstrap, after)
        assert "brg-sara" in {recipient for recipient, _ in told}
        assert (hook, "webhook") not in told
        assert not any(after.referral_id.encode() in r.body for r in receiver.requests)
