"""Who is told what (services/notifications/hubnet_notifications/domain/telling.py), through the
service's routes, on the in-memory fakes."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.identity import service_source
from hubnet_common.sdk.lifecycle import TOLD_OF, Party
from hubnet_common.sdk.messages import referral_events as f
from hubnet_common.sdk.messages.directory import HubUpserted, PartnerUpserted, ServiceUpserted
from hubnet_common.sdk.messages.hubevent_events import HubEventCancelled, HubEventReminder, HubEventScheduled
from hubnet_common.sdk.messages.notification_events import NotificationDelivered
from hubnet_common.sdk.messages.vocabulary import MainActivity, ReasonCode, Status
from hubnet_common.sdk.sealing import generate_encryption_keys
from hubnet_notifications import bootstrap
from hubnet_notifications.domain.staff import StaffMember
from hubnet_notifications.domain.subscription import Subscription, WebhookEndpoint
from hubnet_notifications.domain.telling import TELLINGS
from hubnet_notifications.settings import NotificationSettings
from tests.unit.common.fakes.notifications import FakeNotificationsUnitOfWork

BASE = "https://hubnet.test"
NOW = datetime.now(UTC)
SENDER, RECEIVER = "bostadsbolaget", "brg"
STAFF = [
    StaffMember("s-anna", "Anna", "anna@bostad.test", SENDER, ("hjallbo",), ("case-worker",)),
    StaffMember("r-bo", "Bo", "bo@brg.test", RECEIVER, ("hjallbo",), ("receives-referrals",), language="en"),
    StaffMember("r-elsewhere", "Cai", "cai@brg.test", RECEIVER, ("bergsjon",), ("receives-referrals",)),
    StaffMember("r-boss", "Dag", "dag@brg.test", RECEIVER, (), ("manager",)),
    StaffMember("h-host", "Eva", "eva@hub.test", "hubnet", ("hjallbo",), ("hub-host",)),
    StaffMember("r-gone", "Fia", "fia@brg.test", RECEIVER, ("hjallbo",), ("receives-referrals",), active=False),
]


@pytest.fixture
async def uow():
    fake = FakeNotificationsUnitOfWork()
    for member in STAFF:
        await fake.staff.upsert(member)
    await fake.directory.keep_hub(HubUpserted(hub_id="hjallbo", name="Hjällbo"))
    await fake.directory.keep_partner(PartnerUpserted(partner_id=SENDER, name="Bostadsbolaget"))
    await fake.directory.keep_partner(PartnerUpserted(partner_id=RECEIVER, name="BRG"))
    await fake.directory.keep_service(
        ServiceUpserted(service_id="coaching", partner_id=RECEIVER, name="Företagsrådgivning", hub_ids=["hjallbo"])
    )
    return fake


def handlers(within_hours: float = 24) -> dict:
    settings = NotificationSettings(base_url=BASE, notify_within_hours=within_hours)
    return {
        model: handler
        for route in bootstrap.routes(settings, generate_encryption_keys().private)
        for model, handler in route.handlers.items()
    }


async def tell(uow, fact, *, age: timedelta = timedelta(0), within_hours: float = 24) -> Envelope:
    envelope = Envelope.new(type=fact.ce_type, source=service_source("referrals"), subject=fact.subject())
    envelope = replace(envelope, time=envelope.time - age)
    await handlers(within_hours)[type(fact)](fact, envelope, uow)
    return envelope


def told(uow, channel: str = "email") -> set[str]:
    return {n.recipient_id for n in uow.notifications.all if n.channel == channel}


REFERRAL = dict(
    referral_id="R-1",
    version=2,
    sender_partner_id=SENDER,
    receiver_partner_id=RECEIVER,
    service_id="coaching",
    hub_id="hjallbo",
    at=NOW,
)
DETAILS = {
    f.ReferralRejected: {"reason_code": ReasonCode.NOT_ELIGIBLE, "reason": "sealed:v2:x"},
    f.ReferralFailed: {"reason_code": ReasonCode.NOT_ELIGIBLE},
    f.ReferralReopened: {"note": "sealed:v2:x"},
    f.ReferralEnteredInError: {"note": "sealed:v2:x"},
    f.ReferralCompleted: {"main_activity": MainActivity.OWN_BUSINESS},
}


def step_fact(model, **overrides):
    if model is f.ReferralRequested:
        return model(
            **{
                **REFERRAL,
                "version": 1,
                "status": Status.REQUESTED,
                "actor_partner_id": SENDER,
                "participant_ref": "ab" * 32,
                "purpose": "own-business",
                "consent_id": "C-1",
                **overrides,
            }
        )
    actor = SENDER if TOLD_OF[model] is Party.RECEIVER else RECEIVER
    return model(
        **{**REFERRAL, "status": Status.IN_PROGRESS, "actor_partner_id": actor, **DETAILS.get(model, {}), **overrides}
    )


def test_every_fact_of_the_table_is_routed_to_the_one_handler():
    routed = handlers()
    notify = {routed[model] for model in TELLINGS}
    assert len(notify) == 1 and set(TELLINGS) >= set(TOLD_OF)


async def test_a_new_referral_is_told_to_the_receiving_staff_at_that_hub(uow):
    await tell(uow, step_fact(f.ReferralRequested))
    assert told(uow) == told(uow, "inbox") == {"r-bo"}
    [mail] = [n for n in uow.notifications.all if n.channel == "email"]
    assert mail.subject == "New referral R-1 to you at Hjällbo"
    assert "Bostadsbolaget has referred a resident to Företagsrådgivning" in mail.body
    assert mail.link == f"{BASE}/referrals/R-1" and mail.status == "pending" and mail.about_id == "R-1"
    # The inbox entry is there when the fact is handled: nothing to announce until the mail goes.
    assert [o for o in uow.pending if o.envelope.type == NotificationDelivered.ce_type] == []


@pytest.mark.parametrize("model", sorted(set(TOLD_OF) - {f.ReferralRequested}, key=lambda m: m.__name__))
async def test_each_later_step_is_told_to_the_party_the_lifecycle_names(uow, model):
    await tell(uow, step_fact(model))
    assert told(uow) == ({"s-anna"} if TOLD_OF[model] is Party.SENDER else {"r-bo"})


async def test_the_sender_is_told_the_reason_code_never_the_free_text(uow):
    await tell(uow, step_fact(f.ReferralRejected))
    [mail] = [n for n in uow.notifications.all if n.channel == "email"]
    assert ReasonCode.NOT_ELIGIBLE.value in mail.body and "sealed" not in mail.body
    assert "av BRG" in mail.body


async def test_an_overdue_referral_reaches_the_managers_from_the_second_breach(uow):
    overdue = dict(status=Status.REQUESTED, actor_partner_id="network", kind="acknowledge", due_at=NOW)
    await tell(uow, f.ReferralOverdue(**REFERRAL, **overdue, breach=1))
    assert told(uow) == {"r-bo"}
    await tell(uow, f.ReferralOverdue(**REFERRAL, **overdue, breach=2))
    assert told(uow) == {"r-bo", "r-boss"}


HUB_EVENT = dict(hub_event_id="E-1", hub_id="hjallbo", title="Pop-up")


async def test_hub_events_are_told_to_the_hosts_and_a_reminder_to_the_organiser_s_staff_too(uow):
    await tell(
        uow,
        HubEventScheduled(
            **HUB_EVENT,
            version=1,
            organiser_partner_id=SENDER,
            kind="pop-up",
            starts_at=NOW,
            ends_at=NOW + timedelta(hours=2),
            capacity=20,
        ),
    )
    assert told(uow) == {"h-host"}
    await tell(
        uow,
        HubEventReminder(
            **HUB_EVENT, occurrence_starts_at=NOW, organiser_partner_id=SENDER, registered=3, waitlisted=0, capacity=20
        ),
    )
    assert told(uow) == {"h-host", "s-anna"}
    assert {n.link for n in uow.notifications.all} == {f"{BASE}/hub-events/E-1"}


async def test_a_hub_event_cancelled_calls_no_partner_s_webhook(uow):
    await uow.webhooks.upsert(WebhookEndpoint("W-1", SENDER, "https://bostad.test/hook", "s" * 24, ("hubevent.*",)))
    await tell(uow, HubEventCancelled(**HUB_EVENT, version=2, reason="storm", registrations_cancelled=0))
    assert told(uow) == {"h-host"} and told(uow, "webhook") == set()


async def test_subscribers_are_told_too_each_once_and_only_if_active(uow):
    await uow.subscriptions.add(Subscription("S-1", "r-boss", ("referral.*",), partner_id=RECEIVER))
    await uow.subscriptions.add(Subscription("S-2", "r-bo", ("referral.requested",)))
    await uow.subscriptions.add(Subscription("S-3", "r-gone", ("referral.*",)))
    await uow.subscriptions.add(Subscription("S-4", "r-elsewhere", ("referral.*",), hub_id="bergsjon"))
    await tell(uow, step_fact(f.ReferralRequested))
    assert told(uow) == {"r-bo", "r-boss"}
    assert len([n for n in uow.notifications.all if n.recipient_id == "r-bo"]) == 2  # e-mail and inbox


async def test_a_partner_s_webhook_gets_a_document_without_personal_data(uow):
    await uow.webhooks.upsert(WebhookEndpoint("W-1", SENDER, "https://bostad.test/hook", "s" * 24, ("referral.*",)))
    await uow.webhooks.upsert(WebhookEndpoint("W-2", "poseidon", "https://poseidon.test/hook", "s" * 24, ("*.*",)))
    envelope = await tell(uow, step_fact(f.ReferralAccepted, status=Status.ACCEPTED))
    [call] = [n for n in uow.notifications.all if n.channel == "webhook"]
    assert call.recipient_id == "W-1" and call.status == "pending"
    assert call.document == {
        "id": call.id,
        "type": "referral.accepted",
        "fact_id": envelope.id,
        "subject": "R-1",
        "status": "accepted",
        "hub_id": "hjallbo",
        "service_id": "coaching",
        "partners": [SENDER, RECEIVER],
        "link": f"{BASE}/referrals/R-1",
        "at": envelope.time.isoformat(),
    }


async def test_a_fact_read_too_late_makes_inbox_entries_only_and_announces_nothing(uow):
    await uow.webhooks.upsert(WebhookEndpoint("W-1", RECEIVER, "https://brg.test/hook", "s" * 24, ("referral.*",)))
    await tell(uow, step_fact(f.ReferralRequested), age=timedelta(hours=3), within_hours=2)
    assert told(uow, "inbox") == {"r-bo"} and told(uow) == set() and told(uow, "webhook") == set()
    assert uow.pending == []


async def test_a_fact_read_twice_notifies_each_recipient_once(uow):
    fact = step_fact(f.ReferralRequested)
    envelope = await tell(uow, fact)
    await handlers()[type(fact)](fact, envelope, uow)
    assert len(uow.notifications.all) == 2


async def test_names_missing_from_the_directory_are_shown_as_ids(uow):
    uow.directory.hubs.clear()
    await tell(uow, step_fact(f.ReferralRequested))
    assert {n.subject for n in uow.notifications.all} == {"New referral R-1 to you at hjallbo"}


async def test_nothing_more_is_told_about_an_erased_resident_s_referrals(uow):
    await tell(uow, step_fact(f.ReferralRequested))
    erased = f.ParticipantErased(
        participant_ref="ab" * 32,
        reason="requested",
        requested_by_partner_id=SENDER,
        erased_at=NOW,
        referral_ids=["R-1"],
    )
    await tell(uow, erased)
    assert uow.notifications.all == []
    await tell(uow, step_fact(f.ReferralAccepted))
    assert uow.notifications.all == []
