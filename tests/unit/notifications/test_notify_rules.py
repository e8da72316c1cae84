"""Who the notifications service tells about each fact, on which channels, in which words, and that an
old fact reaches only the inbox (handlers/notify.py on in-memory repositories)."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.messages import referral_events as f
from hubnet_common.sdk.messages.hubevent_events import HubEventCancelled, HubEventReminder, HubEventScheduled
from hubnet_common.service.directory_copy import Known
from hubnet_common.testing.directory_copy import FakeDirectoryCopy
from hubnet_common.testing.uow import FakeUnitOfWork
from hubnet_notifications.domain.notification import Notification
from hubnet_notifications.domain.staff import StaffMember
from hubnet_notifications.domain.subscription import Subscription, WebhookEndpoint
from hubnet_notifications.handlers.notify import notifier

BASE = "https://hubnet.test"
AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def member(id: str, partner: str, roles: tuple[str, ...], hubs: tuple[str, ...] = ("hjallbo",), **more) -> StaffMember:
    return StaffMember(id=id, name=id, email=f"{id}@{partner}.test", partner_id=partner, hubs=hubs, roles=roles, **more)


STAFF = [
    member("rita", "brg", ("receives-referrals",), language="en"),
    member("rolf", "brg", ("receives-referrals",), hubs=("bergsjon",)),
    member("maja", "brg", ("manager",)),
    member("sara", "bostadsbolaget", ("case-worker",)),
    member("sune", "bostadsbolaget", ("case-worker",), hubs=("bergsjon",)),
    member("hugo", "familjebostader", ("hub-host",)),
    member("olle", "familjebostader", ("case-worker",)),
    member("nils", "poseidon", ("case-worker",), hubs=("bergsjon",)),
]


class Staff:
    def __init__(self, members):
        self.members = members

    async def all(self):
        return list(self.members)


class Subscriptions:
    def __init__(self, subscriptions):
        self.subscriptions = subscriptions

    async def all(self):
        return list(self.subscriptions)


class Webhooks:
    def __init__(self, endpoints):
        self.endpoints = endpoints

    async def of_partners(self, partner_ids):
        return [e for e in self.endpoints if e.partner_id in partner_ids]


class Notifications:
    def __init__(self):
        self.stored: list[Notification] = []

    async def add_all(self, notifications):
        self.stored += notifications
        return {n.id for n in notifications}

    async def add_at_commit(self, notifications):
        await self.add_all(notifications)


class NotificationsUoW(FakeUnitOfWork):
    def __init__(self, subscriptions=(), webhooks=()):
        super().__init__("notifications")
        self.staff, self.subscriptions = Staff(STAFF), Subscriptions(list(subscriptions))
        self.webhooks, self.notifications = Webhooks(list(webhooks)), Notifications()
        self.directory = FakeDirectoryCopy()
        self.directory.hubs["hjallbo"] = Known("hjallbo", "Hjällbo", True)
        self.directory.partners["brg"] = Known("brg", "BRG", True)
        self.directory.partners["familjebostader"] = Known("familjebostader", "Familjebostäder", True)
        self.directory.services["coaching"] = Known("coaching", "Företagsrådgivning", True)

    def told(self, channel: str = "email") -> list[str]:
        return sorted(n.recipient_id for n in self.notifications.stored if n.channel == channel)

    def to(self, recipient: str, channel: str = "email") -> Notification:
        [n] = [n for n in self.notifications.stored if n.recipient_id == recipient and n.channel == channel]
        return n


def common(**more) -> dict:
    return (
        dict(
            referral_id="R-1",
            version=2,
            sender_partner_id="bostadsbolaget",
            receiver_partner_id="brg",
            service_id="coaching",
            hub_id="hjallbo",
            actor_partner_id="brg",
            at=AT,
        )
        | more
    )


def envelope(model, *, age: timedelta = timedelta(0)) -> Envelope:
    fresh = Envelope.new(type=model.ce_type, source="urn:hubnet:service:referrals", subject="R-1")
    return replace(fresh, time=datetime.now(UTC) - age)


async def handle(uow, fact, *, age: timedelta = timedelta(0), partner_urls=None):
    async with uow:
        await notifier(BASE, partner_urls=partner_urls)[type(fact)](fact, envelope(type(fact), age=age), uow)
        emitted = list(uow.pending)
        await uow.commit()
    return emitted


async def test_a_new_referral_is_mailed_and_put_in_the_inbox_of_the_receivers_at_that_hub():
    uow = NotificationsUoW()
    fact = f.ReferralRequested(
        **common(version=1, status="requested", actor_partner_id="bostadsbolaget"),
        participant_ref="ab" * 32,
        purpose="own-business",
        consent_id="C-1",
    )
    emitted = await handle(uow, fact)
    assert uow.told("email") == uow.told("inbox") == ["rita"]
    mail = uow.to("rita")
    assert mail.subject == "New referral R-1 to you at Hjällbo"  # rita reads English
    assert "bostadsbolaget has referred a resident to Företagsrådgivning" in mail.body  # no directory name: the id
    assert mail.link == f"{BASE}/referrals/R-1" and mail.status == "pending"
    assert uow.to("rita", "inbox").status == "delivered"
    assert emitted == []  # the mail is announced when the delivery worker has sent it


async def test_a_partner_with_a_portal_of_its_own_gets_links_into_it():
    uow = NotificationsUoW()
    fact = f.ReferralRequested(
        **common(version=1, status="requested", actor_partner_id="bostadsbolaget"),
        participant_ref="ab" * 32,
        purpose="own-business",
        consent_id="C-1",
    )
    await handle(uow, fact, partner_urls={"brg": "http://127.0.0.1:8192/"})
    mail = uow.to("rita")
    assert mail.link == "http://127.0.0.1:8192/referrals/R-1"
    assert "http://127.0.0.1:8192/referrals/R-1" in mail.body


async def test_an_answer_goes_back_to_the_senders_case_handlers_at_that_hub_with_the_reason_code():
    uow = NotificationsUoW()
    fact = f.ReferralRejected(**common(status="rejected"), reason_code="no-capacity", reason="sealed:v2:never-shown")
    await handle(uow, fact)
    assert uow.told() == ["sara"]
    assert uow.to("sara").subject == "Remiss R-1 har avböjts"
    assert "har avböjts (no-capacity), av BRG." in uow.to("sara").body
    assert "sealed:v2" not in uow.to("sara").body


async def test_a_cancellation_by_the_sender_goes_to_the_receivers():
    uow = NotificationsUoW()
    await handle(uow, f.ReferralCancelled(**common(status="cancelled", actor_partner_id="bostadsbolaget")))
    assert uow.told() == ["rita"]
    assert uow.to("rita").subject == "Referral R-1 has been cancelled"


@pytest.mark.parametrize(("breach", "told"), [(1, ["rita"]), (2, ["maja", "rita"]), (3, ["maja", "rita"])])
async def test_an_overdue_referral_reaches_the_managers_from_the_second_breach(breach, told):
    uow = NotificationsUoW()
    fact = f.ReferralOverdue(
        **common(status="requested", actor_partner_id="network"), kind="acknowledge", due_at=AT, breach=breach
    )
    await handle(uow, fact)
    assert uow.told() == told
    assert uow.to("rita").subject.startswith("Overdue again:" if breach > 1 else "Overdue:")


async def test_subscribers_and_the_partners_webhooks_are_told_too():
    hook = WebhookEndpoint("W-1", "brg", "https://brg.test/hook", "s", ("referral.*",))
    other_kinds = WebhookEndpoint("W-2", "brg", "https://brg.test/other", "s", ("hubevent.*",))
    stranger = WebhookEndpoint("W-3", "poseidon", "https://poseidon.test/hook", "s", ("referral.*",))
    subscriptions = [
        Subscription("S-1", "nils", ("referral.accepted",)),
        Subscription("S-2", "olle", ("referral.accepted",), hub_id="bergsjon"),
    ]
    uow = NotificationsUoW(subscriptions, [hook, other_kinds, stranger])
    await handle(uow, f.ReferralAccepted(**common(status="accepted")))
    assert uow.told() == ["nils", "sara"]
    [webhook] = [n for n in uow.notifications.stored if n.channel == "webhook"]
    assert webhook.recipient_id == "W-1"
    assert (webhook.document["type"], webhook.document["status"], webhook.document["subject"]) == (
        "referral.accepted",
        "accepted",
        "R-1",
    )
    assert webhook.document["partners"] == ["bostadsbolaget", "brg"]


async def test_a_fact_older_than_a_day_reaches_only_the_inbox_and_announces_nothing():
    hook = WebhookEndpoint("W-1", "brg", "https://brg.test/hook", "s", ("referral.*",))
    uow = NotificationsUoW(webhooks=[hook])
    emitted = await handle(uow, f.ReferralAccepted(**common(status="accepted")), age=timedelta(hours=24, minutes=1))
    assert {n.channel for n in uow.notifications.stored} == {"inbox"}
    assert uow.told("inbox") == ["sara"] and emitted == []


async def test_a_fact_of_the_last_day_is_still_news():
    uow = NotificationsUoW()
    await handle(uow, f.ReferralAccepted(**common(status="accepted")), age=timedelta(hours=23, minutes=59))
    assert uow.told("email") == ["sara"]


def hub_event(model, **more):
    return model(hub_event_id="E-1", hub_id="hjallbo", title="Infokväll", **more)


async def test_a_scheduled_hub_event_is_told_to_the_hubs_hosts():
    uow = NotificationsUoW()
    fact = hub_event(
        HubEventScheduled,
        organiser_partner_id="familjebostader",
        version=1,
        kind="information-evening",
        starts_at=AT,
        ends_at=AT + timedelta(hours=2),
        capacity=2,
    )
    await handle(uow, fact)
    assert uow.told() == ["hugo"]
    assert uow.to("hugo").subject == "Ny aktivitet i Hjällbo: Infokväll"
    assert uow.to("hugo").link == f"{BASE}/hub-events/E-1"


async def test_a_reminder_reaches_the_hosts_and_the_organisers_staff_at_that_hub_once_each():
    uow = NotificationsUoW()
    fact = hub_event(
        HubEventReminder,
        organiser_partner_id="familjebostader",
        occurrence_starts_at=AT,
        registered=2,
        capacity=2,
        waitlisted=1,
    )
    await handle(uow, fact)
    assert uow.told() == ["hugo", "olle"]
    assert "2 av 2 platser bokade, 1 på väntelistan" in uow.to("olle").body


async def test_a_cancelled_hub_event_is_told_to_the_hosts_with_its_reason():
    uow = NotificationsUoW()
    await handle(uow, hub_event(HubEventCancelled, version=2, reason="sjukdom", registrations_cancelled=3))
    assert uow.told() == ["hugo"]
    assert uow.to("hugo").subject == "Inställt i Hjällbo: Infokväll" and "(sjukdom)" in uow.to("hugo").body
