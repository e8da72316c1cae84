"""Tell staff about facts. Who is told comes from `domain.staff`, what they are told from
`domain.wording`; each recipient gets an e-mail (sent by the delivery worker) and an inbox entry.

- a new referral: the receiving partner's staff at that hub;
- an answer or any later step: the sending partner's staff at that hub (the loop closes);
- a cancellation by the sender: the receiving staff;
- an overdue referral: the receiving staff, and from the second breach their managers too;
- a hub event scheduled: the hub's hosts;
- and anyone who subscribed to that kind of fact (for that partner, service or hub), and every
  webhook endpoint of a partner the fact concerns that asked for that kind.

A fact older than `notify_within` when it is read is news to nobody: its inbox entries are made
(the inbox is rebuilt whole from a replay) but no mail is sent, no webhook called, and no
`notification.delivered` announced again (the first reading announced it).
"""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import structlog

from hubnet_common.envelope import Envelope, uuid7
from hubnet_common.messages import referral_events as f
from hubnet_common.messages.hubevent_events import HubEventCancelled, HubEventReminder, HubEventScheduled

from hubnet_notifications.adapters.uow import NotificationsUnitOfWork
from hubnet_notifications.domain import wording
from hubnet_notifications.handlers.deliver import delivered
from hubnet_notifications.domain.notification import Notification
from hubnet_notifications.domain.staff import (
    StaffMember, add_subscribers, hosts_of_hub, managers_of, receivers_of_referral, senders_of_referral,
)
from hubnet_notifications.domain.subscription import About, kind_of, webhook_document
from hubnet_notifications.domain.wording import Wording

log = structlog.get_logger(__name__)
CHANNELS = ("email", "inbox")
TOLD_TO_SENDER = (f.ReferralReceived, f.ReferralAccepted, f.ReferralRejected, f.ReferralStarted,
                  f.ReferralPutOnHold, f.ReferralResumed, f.ReferralFailed, f.ReferralCompleted, f.ReferralReopened)
TOLD_TO_RECEIVER = (f.ReferralCancelled, f.ReferralEnteredInError)


def notifier(base_url: str, notify_within: timedelta = timedelta(hours=24)) -> dict:
    """The handlers of this service, by fact type, with links pointing at `base_url`."""

    async def _notify(uow, envelope, about, told, link, wording_in, status=None) -> None:
        fresh = datetime.now(UTC) - envelope.time <= notify_within
        if not fresh:
            log.info("too old to send: inbox entries only", fact_time=envelope.time.isoformat())
        await _tell(uow, envelope, about, told, link, wording_in, status, fresh=fresh)

    def link_to(referral_id: str) -> str:
        return f"{base_url}/referrals/{referral_id}"

    async def referral_requested(fact: f.ReferralRequested, envelope: Envelope, uow: NotificationsUnitOfWork) -> None:
        names = _Names(uow)
        service, hub, sender = (
            await names.service(fact.service_id), await names.hub(fact.hub_id), await names.partner(fact.sender_partner_id)
        )
        recipients = receivers_of_referral(await uow.staff.all(), fact.receiver_partner_id, fact.hub_id)
        link = link_to(fact.referral_id)
        await _notify(uow, envelope, _about(fact), recipients, link, lambda lang: wording.new_referral(
            lang, referral_id=fact.referral_id, service=service, hub=hub, sender=sender, link=link), fact.status)

    async def referral_changed(fact, envelope: Envelope, uow: NotificationsUnitOfWork) -> None:
        names, staff = _Names(uow), await uow.staff.all()
        if isinstance(fact, TOLD_TO_SENDER):
            recipients = senders_of_referral(staff, fact.sender_partner_id, fact.hub_id)
        else:
            recipients = receivers_of_referral(staff, fact.receiver_partner_id, fact.hub_id)
        service, hub, by = (
            await names.service(fact.service_id), await names.hub(fact.hub_id), await names.partner(fact.actor_partner_id)
        )
        reason = getattr(fact, "reason_code", None) or ""  # codes only: free text may name the resident
        link = link_to(fact.referral_id)
        await _notify(uow, envelope, _about(fact), recipients, link, lambda lang: wording.referral_changed(
            lang, referral_id=fact.referral_id, status=fact.status, service=service, hub=hub, by=by,
            reason=str(reason), link=link), fact.status)

    async def referral_overdue(fact: f.ReferralOverdue, envelope: Envelope, uow: NotificationsUnitOfWork) -> None:
        names, staff = _Names(uow), await uow.staff.all()
        recipients = receivers_of_referral(staff, fact.receiver_partner_id, fact.hub_id)
        if fact.breach >= 2:
            recipients += managers_of(staff, fact.receiver_partner_id)
        service, hub = await names.service(fact.service_id), await names.hub(fact.hub_id)
        link = link_to(fact.referral_id)
        await _notify(uow, envelope, _about(fact), recipients, link, lambda lang: wording.referral_overdue(
            lang, referral_id=fact.referral_id, kind=fact.kind, breach=fact.breach, due_at=fact.due_at,
            service=service, hub=hub, link=link), fact.status)

    async def hub_event_scheduled(fact: HubEventScheduled, envelope: Envelope, uow: NotificationsUnitOfWork) -> None:
        names = _Names(uow)
        hub, organiser = await names.hub(fact.hub_id), await names.partner(fact.organiser_partner_id)
        recipients = hosts_of_hub(await uow.staff.all(), fact.hub_id)
        link = f"{base_url}/hub-events/{fact.hub_event_id}"
        about = About(frozenset({fact.organiser_partner_id}), hub_id=fact.hub_id)
        await _notify(uow, envelope, about, recipients, link, lambda lang: wording.hub_event_scheduled(
            lang, title=fact.title, hub=hub, starts_at=fact.starts_at, organiser=organiser, link=link), "scheduled")

    async def hub_event_reminder(fact: HubEventReminder, envelope: Envelope, uow: NotificationsUnitOfWork) -> None:
        staff, hub = await uow.staff.all(), await _Names(uow).hub(fact.hub_id)
        recipients = hosts_of_hub(staff, fact.hub_id) + senders_of_referral(staff, fact.organiser_partner_id, fact.hub_id)
        link = f"{base_url}/hub-events/{fact.hub_event_id}"
        about = About(frozenset({fact.organiser_partner_id}), hub_id=fact.hub_id)
        await _notify(uow, envelope, about, list({s.id: s for s in recipients}.values()), link,
                      lambda lang: wording.hub_event_reminder(
                          lang, title=fact.title, hub=hub, starts_at=fact.occurrence_starts_at,
                          registered=fact.registered, capacity=fact.capacity, waitlisted=fact.waitlisted, link=link),
                      "scheduled")

    async def hub_event_cancelled(fact: HubEventCancelled, envelope: Envelope, uow: NotificationsUnitOfWork) -> None:
        hub = await _Names(uow).hub(fact.hub_id)
        link = f"{base_url}/hub-events/{fact.hub_event_id}"
        await _notify(uow, envelope, About(frozenset(), hub_id=fact.hub_id), hosts_of_hub(await uow.staff.all(), fact.hub_id),
                      link, lambda lang: wording.hub_event_cancelled(lang, title=fact.title, hub=hub,
                                                                     reason=fact.reason, link=link), "cancelled")

    return {
        f.ReferralRequested: referral_requested,
        **{fact: referral_changed for fact in TOLD_TO_SENDER + TOLD_TO_RECEIVER},
        f.ReferralOverdue: referral_overdue,
        HubEventScheduled: hub_event_scheduled,
        HubEventReminder: hub_event_reminder,
        HubEventCancelled: hub_event_cancelled,
    }


def _about(fact) -> About:
    return About(frozenset({fact.sender_partner_id, fact.receiver_partner_id}), fact.service_id, fact.hub_id)


async def _tell(
    uow: NotificationsUnitOfWork, envelope: Envelope, about: About, told: list[StaffMember], link: str,
    wording_in: Callable[[str], Wording], status: str | None, *, fresh: bool,
) -> None:
    kind = kind_of(envelope.type)
    wanted = {s.staff_id for s in await uow.subscriptions.all() if s.matches(kind, about)}
    notifications = [
        Notification.for_staff(member, channel, wording_in(member.language), link=link, source=envelope)
        for member in add_subscribers(told, await uow.staff.all() if wanted else [], wanted)
        for channel in (CHANNELS if fresh else ("inbox",))
    ]
    for endpoint in await uow.webhooks.of_partners(about.partner_ids) if fresh else ():
        if endpoint.wants(kind, about):
            notification_id = uuid7()
            document = webhook_document(
                notification_id, kind, fact_id=envelope.id, subject=envelope.subject, about=about,
                status=status, link=link, at=envelope.time.isoformat(),
            )
            notifications.append(Notification.for_webhook(notification_id, endpoint.id, document, link=link,
                                                          source=envelope))
    stored = await uow.notifications.add_all(notifications)
    for notification in notifications:
        if fresh and notification.id in stored and notification.status == "delivered":
            uow.emit(delivered(notification), caused_by=envelope)


class _Names:
    """Readable names from the directory copy; the id when the directory has not arrived yet."""

    def __init__(self, uow: NotificationsUnitOfWork) -> None:
        self.directory = uow.directory

    async def hub(self, hub_id: str) -> str:
        return getattr(await self.directory.hub(hub_id), "name", hub_id)

    async def partner(self, partner_id: str) -> str:
        return getattr(await self.directory.partner(partner_id), "name", partner_id)

    async def service(self, service_id: str) -> str:
        return getattr(await self.directory.service(service_id), "name", service_id)
