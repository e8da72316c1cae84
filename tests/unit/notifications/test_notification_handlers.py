"""The notifications service's other use cases on the in-memory fakes: partners managing their
staff, subscriptions and webhooks; daily digests; erasure; loading the seeded staff."""

from datetime import UTC, date, datetime, time

import pytest

from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.errors import Refused
from hubnet_common.sdk.identity import partner_source, service_source
from hubnet_common.sdk.messages import notification_commands as c
from hubnet_common.sdk.messages.notification_events import NotificationDelivered
from hubnet_common.sdk.messages.referral_events import ParticipantErased
from hubnet_common.sdk.sealing import generate_encryption_keys
from hubnet_notifications.domain.notification import Notification
from hubnet_notifications.domain.staff import StaffMember
from hubnet_notifications.domain.webhook_address import WebhookPolicy
from hubnet_notifications.domain.wording import Wording
from hubnet_notifications.handlers import manage
from hubnet_notifications.handlers.erase import erase_participant
from hubnet_notifications.handlers.load_staff import load_staff
from hubnet_notifications.handlers.send_digests import send_due_digests
from tests.unit.common.fakes.notifications import FakeNotificationsUnitOfWork

ANNA = StaffMember("s-anna", "Anna", "anna@bostad.test", "bostadsbolaget", ("hjallbo",), ("case-worker",))
BO = StaffMember("r-bo", "Bo", "bo@brg.test", "brg", ("hjallbo",), ("receives-referrals",), delivery="digest")
HANDLERS = manage.handlers(WebhookPolicy(), generate_encryption_keys().public)


@pytest.fixture
async def uow():
    fake = FakeNotificationsUnitOfWork()
    for member in (ANNA, BO):
        await fake.staff.upsert(member)
    return fake


async def run(uow, command, partner: str = "bostadsbolaget") -> None:
    envelope = Envelope.new(type=command.ce_type, source=partner_source(partner), subject=command.subject())
    uow.directory.encryption_keys.setdefault(partner, generate_encryption_keys().public)
    await HANDLERS[type(command)](command, envelope, uow)


async def refused(uow, command, partner: str = "bostadsbolaget") -> str:
    with pytest.raises(Refused) as refusal:
        await run(uow, command, partner)
    return refusal.value.code


async def test_a_partner_adds_and_changes_its_own_staff_but_not_another_s(uow):
    await run(uow, c.UpsertStaffMember(staff_id="s-cai", name="Cai", email="cai@bostad.test", hubs=["hjallbo"]))
    assert (await uow.staff.get("s-cai")).partner_id == "bostadsbolaget"
    await run(uow, c.UpsertStaffMember(staff_id="s-anna", name="Anna A", email="anna@bostad.test", language="en"))
    assert (await uow.staff.get("s-anna")).language == "en"
    assert await refused(uow, c.UpsertStaffMember(staff_id="r-bo", name="Bo", email="bo@x.test")) == "not-permitted"


async def test_a_partner_removes_its_own_staff_member_who_is_kept_inactive(uow):
    await run(uow, c.RemoveStaffMember(staff_id="s-anna"))
    assert (await uow.staff.get("s-anna")).active is False
    assert await refused(uow, c.RemoveStaffMember(staff_id="r-bo")) == "not-permitted"
    assert await refused(uow, c.RemoveStaffMember(staff_id="nobody")) == "unknown"


async def test_only_partners_manage_staff(uow):
    command = c.RemoveStaffMember(staff_id="s-anna")
    envelope = Envelope.new(type=command.ce_type, source=service_source("referrals"), subject=command.subject())
    with pytest.raises(manage.NotPermitted):
        await HANDLERS[type(command)](command, envelope, uow)


async def test_staff_subscribe_and_unsubscribe_through_their_own_partner(uow):
    await run(uow, c.Subscribe(subscription_id="S-1", staff_id="s-anna", kinds=["referral.*"], hub_id="hjallbo"))
    [subscription] = await uow.subscriptions.all()
    assert (subscription.staff_id, subscription.kinds, subscription.hub_id) == ("s-anna", ("referral.*",), "hjallbo")
    assert await refused(uow, c.Subscribe(staff_id="r-bo", kinds=["referral.*"])) == "not-permitted"
    assert await refused(uow, c.Unsubscribe(subscription_id="S-1", staff_id="r-bo")) == "not-permitted"
    await run(uow, c.Unsubscribe(subscription_id="S-1", staff_id="s-anna"))
    assert await uow.subscriptions.all() == []
    assert await refused(uow, c.Unsubscribe(subscription_id="S-1", staff_id="s-anna")) == "unknown"


async def test_a_webhook_belongs_to_the_partner_that_registered_it(uow):
    register = c.RegisterWebhook(webhook_id="W-1", url="https://bostad.test/hook", kinds=["referral.*"])
    await run(uow, register)
    assert await uow.webhooks.owner("W-1") == "bostadsbolaget"
    assert await refused(uow, register, partner="brg") == "not-permitted"
    assert await refused(uow, c.RemoveWebhook(webhook_id="W-1"), partner="brg") == "not-permitted"
    assert await refused(uow, c.RemoveWebhook(webhook_id="W-2")) == "unknown"
    await run(uow, c.RemoveWebhook(webhook_id="W-1"))
    assert await uow.webhooks.of_partners(frozenset({"bostadsbolaget"})) == []


class Mailer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, Wording, str]] = []

    async def send(self, to: str, mail: Wording, *, message_id: str) -> None:
        self.sent.append((to, mail, message_id))


def mail_for(member: StaffMember, subject: str, about: str) -> Notification:
    source = Envelope.new(type="se.hubnet.referral.requested.v1", source=service_source("referrals"), subject=about)
    return Notification.for_staff(
        member, "email", Wording(subject, "text"), link=f"https://hubnet.test/{about}", source=source
    )


MORNING = datetime(2026, 11, 3, 7, 0, tzinfo=UTC)  # 08:00 in Stockholm


async def test_a_digest_gathers_the_waiting_mails_once_a_day(uow):
    await uow.notifications.add_all(
        [
            mail_for(BO, "Ny remiss R-1", "R-1"),
            mail_for(BO, "Ny remiss R-2", "R-2"),
            mail_for(ANNA, "Remiss R-3", "R-3"),
        ]
    )
    mailer = Mailer()
    assert await send_due_digests(lambda: uow, mailer, now=MORNING, send_at=time(7, 30)) == 1
    [(to, mail, message_id)] = mailer.sent
    assert (to, message_id) == ("bo@brg.test", "digest-r-bo-2026-11-03")
    assert "Ny remiss R-1" in mail.text and "Ny remiss R-2" in mail.text
    assert await uow.notifications.waiting_for_digest("r-bo") == []
    assert len([o for o in uow.committed if o.envelope.type == NotificationDelivered.ce_type]) == 2
    assert await send_due_digests(lambda: uow, mailer, now=MORNING, send_at=time(7, 30)) == 0
    assert len(mailer.sent) == 1


async def test_no_digest_before_its_time_and_none_sent_when_nothing_waits(uow):
    mailer = Mailer()
    assert await send_due_digests(lambda: uow, mailer, now=MORNING, send_at=time(9, 0)) == 0
    assert await send_due_digests(lambda: uow, mailer, now=MORNING, send_at=time(7, 30)) == 0
    assert mailer.sent == [] and await uow.notifications.digest_sent("r-bo", date(2026, 11, 3))


async def test_an_erased_resident_s_notifications_are_dropped_and_none_made_again(uow):
    await uow.notifications.add_all([mail_for(ANNA, "Remiss R-1", "R-1"), mail_for(ANNA, "Remiss R-2", "R-2")])
    fact = ParticipantErased(
        participant_ref="ab" * 32,
        reason="requested",
        requested_by_partner_id="bostadsbolaget",
        erased_at=MORNING,
        referral_ids=["R-1"],
    )
    await erase_participant(
        fact, Envelope.new(type=fact.ce_type, source=service_source("referrals"), subject=fact.participant_ref), uow
    )
    assert [n.about_id for n in uow.notifications.all] == ["R-2"]
    assert await uow.notifications.add_all([mail_for(BO, "Remiss R-1", "R-1")]) == set()


async def test_the_seeded_staff_are_added_but_those_changed_since_are_kept(uow):
    changed = StaffMember("s-anna", "Anna", "anna@elsewhere.test", "bostadsbolaget", (), ("case-worker",))
    new = StaffMember("s-new", "Ny", "ny@bostad.test", "bostadsbolaget", (), ("case-worker",))
    async with uow:
        await load_staff(uow, [changed, new])
    assert (await uow.staff.get("s-anna")).email == "anna@bostad.test"
    assert await uow.staff.get("s-new") == new
