"""Who among a partner's staff is told, which subscriptions and webhooks a fact reaches, and how a
failing delivery is retried (notifications DESIGN §1)."""

from datetime import UTC, datetime, timedelta

import pytest

from hubnet_common.sdk.envelope import Envelope
from hubnet_notifications.domain import notification as notification_module
from hubnet_notifications.domain.notification import MAX_ATTEMPTS, Notification, next_attempt
from hubnet_notifications.domain.staff import (
    StaffMember,
    add_subscribers,
    hosts_of_hub,
    managers_of,
    receivers_of_referral,
    senders_of_referral,
)
from hubnet_notifications.domain.subscription import (
    About,
    Subscription,
    WebhookEndpoint,
    kind_of,
    webhook_document,
)
from hubnet_notifications.domain.wording import Wording

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def member(
    id: str, partner: str = "brg", hubs: tuple[str, ...] = (), roles: tuple[str, ...] = ("case-worker",), **more
) -> StaffMember:
    return StaffMember(id=id, name=id, email=f"{id}@brg.test", partner_id=partner, hubs=hubs, roles=roles, **more)


STAFF = [
    member("anna", roles=("receives-referrals",), hubs=("hjallbo",)),
    member("bo", roles=("receives-referrals",)),  # no hubs listed: every hub
    member("cia", roles=("receives-referrals",), hubs=("bergsjon",)),
    member("dan", partner="poseidon", roles=("receives-referrals",)),
    member("eva", roles=("manager",), hubs=("hjallbo",)),
    member("fia", roles=("case-worker", "manager"), hubs=("hjallbo",)),
    member("gus", roles=("hub-host",), hubs=("hjallbo",)),
    member("hex", roles=("hub-host",)),  # a host with no hub is host of none
]


def ids(staff: list[StaffMember]) -> list[str]:
    return [s.id for s in staff]


def test_a_referral_reaches_the_receivers_at_that_hub_and_those_at_every_hub_only():
    assert ids(receivers_of_referral(STAFF, "brg", "hjallbo")) == ["anna", "bo"]
    assert ids(receivers_of_referral(STAFF, "brg", "bergsjon")) == ["bo", "cia"]
    assert ids(receivers_of_referral(STAFF, "poseidon", "hjallbo")) == ["dan"]


def test_the_sender_hears_back_through_its_case_handlers_not_its_pure_managers():
    assert ids(senders_of_referral(STAFF, "brg", "hjallbo")) == ["anna", "bo", "fia", "gus", "hex"]


def test_an_overdue_referral_escalates_to_the_partners_managers_wherever_they_work():
    assert ids(managers_of(STAFF, "brg")) == ["eva", "fia"]
    assert managers_of(STAFF, "poseidon") == []


def test_hub_hosts_are_those_who_host_that_hub():
    assert ids(hosts_of_hub(STAFF, "hjallbo")) == ["gus"]
    assert hosts_of_hub(STAFF, "bergsjon") == []


def test_subscribers_are_added_once_and_inactive_staff_are_never_told():
    gone = member("ivy", active=False)
    told = add_subscribers([STAFF[0], gone], [*STAFF, gone], wanted_by={"anna", "eva", "zed"})
    assert ids(told) == ["anna", "eva"]


def test_the_kind_of_a_fact_is_its_type_without_prefix_and_version():
    assert kind_of("se.hubnet.referral.requested.v1") == "referral.requested"
    assert kind_of("se.hubnet.hubevent.registration.cancelled.v1") == "hubevent.registration.cancelled"


@pytest.mark.parametrize(
    ("subscription", "wanted"),
    [
        (Subscription("s", "anna", ("referral.*",)), True),
        (Subscription("s", "anna", ("hubevent.*",)), False),
        (Subscription("s", "anna", ("hubevent.*", "referral.accepted")), True),
        (Subscription("s", "anna", ("referral.*",), partner_id="brg"), True),
        (Subscription("s", "anna", ("referral.*",), partner_id="familjebostader"), False),
        (Subscription("s", "anna", ("referral.*",), service_id="coaching"), True),
        (Subscription("s", "anna", ("referral.*",), service_id="language"), False),
        (Subscription("s", "anna", ("referral.*",), hub_id="hjallbo"), True),
        (Subscription("s", "anna", ("referral.*",), hub_id="bergsjon"), False),
        (Subscription("s", "anna", ("Referral.*",)), False),
    ],
)
def test_a_subscription_matches_its_kinds_and_each_filter_it_sets(subscription, wanted):
    about = About(frozenset({"brg", "poseidon"}), service_id="coaching", hub_id="hjallbo")
    assert subscription.matches("referral.accepted", about) is wanted


def test_a_webhook_gets_its_partners_facts_of_its_kinds_while_active():
    about = About(frozenset({"brg"}), service_id="coaching", hub_id="hjallbo")
    endpoint = WebhookEndpoint("w", "brg", "https://brg.test/hook", "secret", ("referral.*",))
    assert endpoint.wants("referral.accepted", about)
    assert not endpoint.wants("hubevent.scheduled", about)
    assert not endpoint.wants("referral.accepted", About(frozenset({"poseidon"})))
    assert not WebhookEndpoint("w", "brg", "https://brg.test/hook", "secret", ("referral.*",), active=False).wants(
        "referral.accepted", about
    )


def test_the_webhook_document_says_what_happened_to_which_case_and_nothing_more():
    about = About(frozenset({"poseidon", "brg"}), service_id="coaching", hub_id="hjallbo")
    document = webhook_document(
        "N-1",
        "referral.accepted",
        fact_id="F-1",
        subject="R-1",
        about=about,
        status="accepted",
        link="https://hubnet.test/referrals/R-1",
        at="2026-03-02T09:00:00Z",
    )
    assert document == {
        "id": "N-1",
        "type": "referral.accepted",
        "fact_id": "F-1",
        "subject": "R-1",
        "status": "accepted",
        "hub_id": "hjallbo",
        "service_id": "coaching",
        "partners": ["brg", "poseidon"],
        "link": "https://hubnet.test/referrals/R-1",
        "at": "2026-03-02T09:00:00Z",
    }


FACT = Envelope.new(type="se.hubnet.referral.accepted.v1", source="/hubnet/referrals", subject="R-1")


def fact() -> Envelope:
    return FACT


def test_an_inbox_entry_is_delivered_as_written_and_an_email_waits_in_the_members_mode():
    wording = Wording("Remiss R-1 har accepterats", "Remissen …")
    digest_reader = member("anna", delivery="digest")
    inbox = Notification.for_staff(digest_reader, "inbox", wording, link="https://l", source=fact())
    email = Notification.for_staff(digest_reader, "email", wording, link="https://l", source=fact())
    assert (inbox.status, inbox.mode) == ("delivered", "immediate")
    assert (email.status, email.mode) == ("pending", "digest")
    assert (email.recipient_id, email.subject, email.body, email.about_id) == (
        "anna",
        "Remiss R-1 har accepterats",
        "Remissen …",
        "R-1",
    )
    assert email.source_type == "se.hubnet.referral.accepted.v1" and email.traceparent == fact().traceparent
    assert inbox.id != email.id


def test_a_webhook_notification_carries_its_document_and_is_pending():
    document = {"type": "referral.accepted", "subject": "R-1"}
    hook = Notification.for_webhook("N-1", "w", document, link="https://l", source=fact())
    assert (hook.id, hook.channel, hook.recipient_id, hook.subject, hook.body, hook.status) == (
        "N-1",
        "webhook",
        "w",
        "referral.accepted",
        "",
        "pending",
    )
    assert hook.document == document and hook.about_id == "R-1"


def test_a_failing_delivery_is_retried_with_growing_waits_then_given_up(monkeypatch):
    monkeypatch.setattr(notification_module.random, "uniform", lambda low, high: 1.0)
    n = Notification.for_webhook("N-1", "w", {"type": "referral.accepted"}, link="", source=fact())
    waits = []
    while (again := n.failed_attempt(NOW)) is not None:
        waits.append((again - NOW).total_seconds())
    assert waits == [2, 4, 8, 16, 32, 64, 128]
    assert n.attempts == MAX_ATTEMPTS == 8 and n.status == "failed"


def test_the_wait_is_jittered_by_a_fifth_either_way_and_capped_at_ten_minutes(monkeypatch):
    monkeypatch.setattr(notification_module.random, "uniform", lambda low, high: high)
    assert next_attempt(3, NOW) == NOW + timedelta(seconds=9.6)
    assert next_attempt(12, NOW) == NOW + timedelta(seconds=720)
    monkeypatch.setattr(notification_module.random, "uniform", lambda low, high: low)
    assert next_attempt(3, NOW) == NOW + timedelta(seconds=6.4)
    assert next_attempt(10, NOW) == NOW + timedelta(seconds=480)


def test_delivered_and_refused_each_count_the_attempt():
    n = Notification.for_webhook("N-1", "w", {"type": "referral.accepted"}, link="", source=fact())
    n.delivered()
    assert (n.status, n.attempts) == ("delivered", 1)
    n = Notification.for_webhook("N-2", "w", {"type": "referral.accepted"}, link="", source=fact())
    n.failed_attempt(NOW)
    n.refused()
    assert (n.status, n.attempts) == ("failed", 2)
