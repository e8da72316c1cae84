"""What the notifications repositories promise, the same on the fake (tests/unit/common/fakes/
notifications.py) as on PostgreSQL (services/notifications/hubnet_notifications/adapters/
repository.py): the unit tests of the handlers trust the fake to behave as the real thing does."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest

from hubnet_common.sdk.envelope import uuid7
from hubnet_notifications.domain.notification import Notification
from hubnet_notifications.domain.staff import StaffMember
from hubnet_notifications.domain.subscription import Subscription, WebhookEndpoint
from hubnet_notifications.handlers.load_staff import load_staff

from .conftest import Store

SARA = StaffMember("brg-sara", "Sara Nilsson", "sara@brg.test", "brg", (), ("receives-referrals",))
JOHAN = StaffMember("brg-johan", "Johan Berg", "johan@brg.test", "brg", ("hjallbo",), ("manager",), "en", "digest")
AMINA = StaffMember("bb-amina", "Amina Hassan", "amina@bb.test", "bostadsbolaget", ("hjallbo",), ("hub-host",))
HOOK = WebhookEndpoint("brg-hook", "brg", "https://brg.test/hook", "s3cret", ("referral.*",))
LEASE = timedelta(seconds=0.6)


def note(recipient: str = SARA.id, channel: str = "email", *, about: str = "r-1", **fields) -> Notification:
    """A notification of a fact of its own, as the handlers make them (domain/notification.py)."""
    return Notification(
        id=uuid7(),
        source_id=fields.pop("source_id", uuid7()),
        source_type="se.hubnet.referral.requested.v1",
        recipient_id=recipient,
        channel=channel,
        subject=fields.pop("subject", "Ny remiss"),
        body="En remiss väntar.",
        link=f"https://hubnet.test/referrals/{about}",
        status="delivered" if channel == "inbox" else "pending",
        about_id=about,
        **fields,
    )


async def given(store: Store, *notifications: Notification, staff=(SARA, JOHAN, AMINA), hooks=(HOOK,)) -> set[str]:
    async with store.uow() as uow:
        for member in staff:
            await uow.staff.upsert(member)
        for hook in hooks:
            await uow.webhooks.upsert(hook)
        stored = await uow.notifications.add_all(list(notifications))
        await uow.commit()
    return stored


async def claim(store: Store, limit: int = 100) -> list[tuple[Notification, str, str | None]]:
    async with store.uow() as uow:
        due = await uow.notifications.claim_due(limit, LEASE)
        await uow.commit()
    return due


# Staff


async def test_staff_loaded_from_the_seed_keep_what_their_partner_changed_since(store: Store):
    changed = replace(SARA, email="sara.nilsson@brg.test", language="en")
    async with store.uow() as uow:
        await uow.staff.upsert(changed)
        await load_staff(uow, [SARA, JOHAN])  # commits
    async with store.uow() as uow:
        assert await uow.staff.get(SARA.id) == changed
        assert await uow.staff.get(JOHAN.id) == JOHAN
        assert await uow.staff.get("nobody") is None


async def test_staff_of_a_partner_are_found_among_all(store: Store):
    await given(store)
    async with store.uow() as uow:
        brg = sorted(m.id for m in await uow.staff.all() if m.partner_id == "brg")
    assert brg == [JOHAN.id, SARA.id]


async def test_a_removed_member_is_kept_inactive_and_gets_no_digest(store: Store):
    await given(store, staff=(SARA, JOHAN, replace(AMINA, delivery="digest")))
    async with store.uow() as uow:
        await uow.staff.upsert(replace(JOHAN, active=False))
        await uow.commit()
    async with store.uow() as uow:
        assert await uow.staff.get(JOHAN.id) == replace(JOHAN, active=False)
        assert JOHAN.id in {m.id for m in await uow.staff.all()}
        assert [m.id for m in await uow.staff.digest_readers()] == [AMINA.id]


async def test_a_unit_of_work_left_without_commit_changes_nothing(store: Store):
    async with store.uow() as uow:
        await uow.staff.upsert(SARA)
        await uow.notifications.add_all([note()])
    async with store.uow() as uow:
        assert await uow.staff.all() == []
        assert await uow.notifications.claim_due(10, LEASE) == []


# Notifications


async def test_a_source_notifies_a_recipient_once_per_channel(store: Store):
    mail = note()
    again = replace(mail, id=uuid7())
    inbox = replace(mail, id=uuid7(), channel="inbox", status="delivered")
    assert await given(store, mail, inbox) == {mail.id, inbox.id}
    async with store.uow() as uow:
        assert await uow.notifications.add_all([again]) == set()
        assert await uow.notifications.add_all([]) == set()
        await uow.commit()
    assert [n.id for n, _, _ in await claim(store)] == [mail.id]


async def test_the_inbox_lists_unread_first_then_newest_and_counts_the_unread(store: Store):
    first, second, mail = note(channel="inbox"), note(channel="inbox"), note()
    await given(store, first, mail)
    await given(store, second)  # a later transaction: a later created_at
    async with store.uow() as uow:
        assert [e["id"] for e in await uow.notifications.inbox(SARA.id, page=1, size=10)] == [second.id, first.id]
        assert await uow.notifications.mark_read(SARA.id, second.id)
        await uow.commit()
    async with store.uow() as uow:
        entries = await uow.notifications.inbox(SARA.id, page=1, size=10)
        assert [e["id"] for e in entries] == [first.id, second.id]
        assert entries[0]["read_at"] is None and entries[1]["read_at"] is not None
        assert entries[0]["subject"] == first.subject and entries[0]["link"] == first.link
        assert [e["id"] for e in await uow.notifications.inbox(SARA.id, page=2, size=1)] == [second.id]
        assert await uow.notifications.unread(SARA.id) == 1
        assert await uow.notifications.unread(JOHAN.id) == 0


async def test_an_entry_is_marked_read_only_by_its_recipient_and_again_is_harmless(store: Store):
    entry, mail = note(channel="inbox"), note()
    await given(store, entry, mail)
    async with store.uow() as uow:
        assert not await uow.notifications.mark_read(JOHAN.id, entry.id)
        assert not await uow.notifications.mark_read(SARA.id, mail.id)  # a mail is no inbox entry
        assert await uow.notifications.unread(SARA.id) == 1
        assert await uow.notifications.mark_read(SARA.id, entry.id)
        first_read = (await uow.notifications.inbox(SARA.id, page=1, size=1))[0]["read_at"]
        assert await uow.notifications.mark_read(SARA.id, entry.id)
        assert (await uow.notifications.inbox(SARA.id, page=1, size=1))[0]["read_at"] == first_read
        assert await uow.notifications.unread(SARA.id) == 0


async def test_due_mails_and_webhooks_come_with_their_address_and_secret(store: Store):
    mail, hook = note(), note(HOOK.id, "webhook", document={"type": "referral.requested", "id": "d-1"})
    await given(store, mail, hook, note(channel="inbox"), note(JOHAN.id, mode="digest"))
    due = {n.id: (n, address, secret) for n, address, secret in await claim(store)}
    assert set(due) == {mail.id, hook.id}
    assert due[mail.id] == (mail, SARA.email, None)
    assert due[hook.id] == (hook, HOOK.url, HOOK.secret)


async def test_a_claimed_batch_is_leased_until_the_lease_is_over(store: Store):
    mails = [note() for _ in range(3)]
    await given(store, *mails)
    first = await claim(store, limit=2)
    assert len(first) == 2
    assert [n.id for n, _, _ in await claim(store)] == [n.id for n in mails if n.id not in {m.id for m, _, _ in first}]
    assert await claim(store) == []
    await asyncio.sleep(LEASE.total_seconds() + 0.3)
    assert {n.id for n, _, _ in await claim(store)} == {n.id for n in mails}


async def test_an_attempt_retried_later_is_not_due_before_then(store: Store):
    mail = note()
    await given(store, mail)
    (claimed, _, _), *_ = await claim(store)
    retry_at = claimed.failed_attempt(datetime.now(UTC))
    assert retry_at is not None
    async with store.uow() as uow:
        assert await uow.notifications.record_attempt(claimed, error="421 busy", retry_at=retry_at)
        await uow.commit()
    await asyncio.sleep(LEASE.total_seconds() + 0.3)  # the lease is over, the retry not yet due
    assert await claim(store) == []


async def test_an_outcome_is_recorded_once(store: Store):
    mail = note()
    await given(store, mail)
    (claimed, _, _), *_ = await claim(store)
    claimed.refused()
    async with store.uow() as uow:
        assert await uow.notifications.record_attempt(claimed, error="550 no such user")
        await uow.commit()
    late = replace(claimed, status="delivered", attempts=2)
    async with store.uow() as uow:
        assert not await uow.notifications.record_attempt(late)
        failed = await uow.notifications.failed()
    assert [(f["id"], f["attempts"], f["last_error"], f["channel"]) for f in failed] == [
        (mail.id, 1, "550 no such user", "email")
    ]


async def test_a_mail_handed_over_is_not_sent_again_and_counts_once_its_lease_is_over(store: Store):
    handed, other = note(), note()
    await given(store, handed, other)
    await claim(store)
    async with store.handovers.of(handed.id) as handover:
        await handover.commit()
    async with store.uow() as uow:
        assert await uow.notifications.handed_over_unanswered(10) == []  # its worker may still answer
    await asyncio.sleep(LEASE.total_seconds() + 0.3)
    async with store.uow() as uow:
        assert await uow.notifications.handed_over_unanswered(10) == [handed]
        assert [n.id for n, _, _ in await uow.notifications.claim_due(10, LEASE)] == [other.id]
        await uow.commit()


async def test_a_mail_refused_after_its_handover_is_taken_back_and_due_again(store: Store):
    mail = note()
    await given(store, mail)
    await claim(store)
    with pytest.raises(ConnectionError):
        async with store.handovers.of(mail.id) as handover:
            await handover.commit()
            raise ConnectionError("the server refused it after the dot")
    await asyncio.sleep(LEASE.total_seconds() + 0.3)
    async with store.uow() as uow:
        assert await uow.notifications.handed_over_unanswered(10) == []
    assert [n.id for n, _, _ in await claim(store)] == [mail.id]


async def test_recording_an_attempt_clears_the_handover(store: Store):
    mail = note()
    await given(store, mail)
    (claimed, _, _), *_ = await claim(store)
    async with store.handovers.of(mail.id) as handover:
        await handover.commit()
    retry_at = claimed.failed_attempt(datetime.now(UTC) - timedelta(minutes=1))
    async with store.uow() as uow:
        assert await uow.notifications.record_attempt(claimed, error="timeout", retry_at=retry_at)
        await uow.commit()
    await asyncio.sleep(LEASE.total_seconds() + 0.3)
    async with store.uow() as uow:
        assert await uow.notifications.handed_over_unanswered(10) == []
    assert [(n.id, n.attempts) for n, _, _ in await claim(store)] == [(mail.id, 1)]


# Digests


async def test_mails_wait_for_the_digest_in_order_and_a_day_is_recorded_once(store: Store):
    first, second = note(JOHAN.id, mode="digest", subject="a"), note(JOHAN.id, mode="digest", subject="b")
    await given(store, first, note(SARA.id, mode="digest"))
    await given(store, second)
    day = date(2026, 12, 2)
    async with store.uow() as uow:
        waiting = await uow.notifications.waiting_for_digest(JOHAN.id)
        assert [n for n, _ in waiting] == [first, second]
        assert waiting[0][1] < waiting[1][1]
        assert not await uow.notifications.digest_sent(JOHAN.id, day)
        for n, _ in waiting:
            n.delivered()
            assert await uow.notifications.record_attempt(n, digest_day=day)
        await uow.notifications.record_digest(JOHAN.id, day, len(waiting))
        await uow.commit()
    async with store.uow() as uow:
        assert await uow.notifications.digest_sent(JOHAN.id, day)
        assert not await uow.notifications.digest_sent(JOHAN.id, day + timedelta(days=1))
        assert await uow.notifications.waiting_for_digest(JOHAN.id) == []
        with pytest.raises(asyncpg.UniqueViolationError):
            await uow.notifications.record_digest(JOHAN.id, day, 0)


# Erasure


async def test_erasure_drops_every_notification_about_the_referrals_and_makes_none_again(store: Store):
    erased = [note(about="r-1"), note(channel="inbox", about="r-1"), note(HOOK.id, "webhook", about="r-2")]
    kept = note(about="r-3")
    await given(store, *erased, kept)
    async with store.uow() as uow:
        assert await uow.notifications.erase(["r-1", "r-2"]) == 3
        assert await uow.notifications.add_all([note(about="r-1"), later := note(about="r-4")]) == {later.id}
        await uow.commit()
    async with store.uow() as uow:
        assert await uow.notifications.inbox(SARA.id, page=1, size=10) == []
        assert await uow.notifications.erase(["r-1"]) == 0
    assert {n.id for n, _, _ in await claim(store)} == {kept.id, later.id}


# Subscriptions and webhook endpoints


async def test_a_subscription_is_added_once_and_removed_only_by_its_member(store: Store):
    await given(store)
    subscription = Subscription("s-1", SARA.id, ("referral.*",), hub_id="hjallbo")
    async with store.uow() as uow:
        assert await uow.subscriptions.add(subscription)
        assert not await uow.subscriptions.add(replace(subscription, kinds=("hubevent.*",)))
        await uow.commit()
    async with store.uow() as uow:
        assert await uow.subscriptions.all() == [subscription]
        assert not await uow.subscriptions.remove("s-1", JOHAN.id)
        assert not await uow.subscriptions.remove("s-2", SARA.id)
        assert await uow.subscriptions.remove("s-1", SARA.id)
        assert await uow.subscriptions.all() == []


async def test_a_subscription_needs_a_staff_member(store: Store):
    async with store.uow() as uow:
        with pytest.raises(asyncpg.ForeignKeyViolationError):
            await uow.subscriptions.add(Subscription("s-1", "nobody", ("referral.*",)))


async def test_webhook_endpoints_of_partners_are_the_active_ones_and_keep_their_owner(store: Store):
    other = WebhookEndpoint("bb-hook", "bostadsbolaget", "https://bb.test/hook", "k", ("hubevent.*",))
    await given(store, hooks=(HOOK, other))
    async with store.uow() as uow:
        assert await uow.webhooks.of_partners(frozenset({"brg"})) == [HOOK]
        assert await uow.webhooks.owner(HOOK.id) == "brg"
        assert await uow.webhooks.owner("nothing") is None
        await uow.webhooks.upsert(replace(HOOK, partner_id="bostadsbolaget", url="https://brg.test/v2"))
        await uow.webhooks.deactivate(other.id)
        await uow.commit()
    async with store.uow() as uow:
        assert await uow.webhooks.owner(HOOK.id) == "brg"  # an upsert never changes the owner
        assert await uow.webhooks.of_partners(frozenset({"brg", "bostadsbolaget"})) == [
            replace(HOOK, url="https://brg.test/v2")
        ]
        assert await uow.webhooks.owner(other.id) == "bostadsbolaget"


# Notifications added at commit (one statement for a batch's facts)


async def test_notifications_added_at_commit_are_erased_by_an_erasure_later_in_the_transaction(store: Store):
    await given(store)
    async with store.uow() as uow:
        await uow.notifications.add_at_commit([note(about="r-1"), note(channel="inbox", about="r-1")])
        assert await uow.notifications.erase(["r-1"]) == 2
        await uow.commit()
    assert await claim(store) == []


async def test_notifications_added_at_commit_are_there_after_it_and_a_savepoint_keeps_what_came_before(
    store: Store,
):
    await given(store)
    before, inside = note(about="r-1"), note(about="r-2")
    async with store.uow() as uow:
        await uow.notifications.add_at_commit([before])
        with pytest.raises(RuntimeError):
            async with uow.savepoint():
                await uow.notifications.add_at_commit([inside])
                raise RuntimeError("the handler failed")
        await uow.commit()
    assert {n.id for n, _, _ in await claim(store)} == {before.id}
