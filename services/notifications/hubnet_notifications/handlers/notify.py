"""Tell staff about facts. Who is told comes from `domain.staff`, what they are told from
`domain.wording`; each recipient gets an e-mail (sent by the delivery worker) and an inbox entry.

- a new referral: the receiving partner's staff at that hub;
- an answer or any later step: the sending partner's staff at that hub (the loop closes);
- a cancellation by the sender: the receiving staff;
- an overdue referral: the receiving staff, and from the second breach their managers too;
- a hub event scheduled: the hub's hosts.
"""

from collections.abc import Callable

from hubnet_common.envelope import Envelope
from hubnet_common.messages import referral_events as f
from hubnet_common.messages.hubevent_events import HubEventScheduled
from hubnet_common.messages.notification_events import NotificationDelivered

from hubnet_notifications.adapters.uow import NotificationsUnitOfWork
from hubnet_notifications.domain import wording
from hubnet_notifications.domain.notification import Notification
from hubnet_notifications.domain.staff import (
    StaffMember, hosts_of_hub, managers_of, receivers_of_referral, senders_of_referral,
)
from hubnet_notifications.domain.wording import Wording

CHANNELS = ("email", "inbox")
TOLD_TO_SENDER = (f.ReferralReceived, f.ReferralAccepted, f.ReferralRejected, f.ReferralStarted,
                  f.ReferralPutOnHold, f.ReferralResumed, f.ReferralFailed, f.ReferralCompleted, f.ReferralReopened)
TOLD_TO_RECEIVER = (f.ReferralCancelled, f.ReferralEnteredInError)


def notifier(base_url: str) -> dict:
    """The handlers of this service, by fact type, with links pointing at `base_url`."""

    def link_to(referral_id: str) -> str:
        return f"{base_url}/referrals/{referral_id}"

    async def referral_requested(fact: f.ReferralRequested, envelope: Envelope, uow: NotificationsUnitOfWork) -> None:
        names = _Names(uow)
        service, hub, sender = (
            await names.service(fact.service_id), await names.hub(fact.hub_id), await names.partner(fact.sender_partner_id)
        )
        recipients = receivers_of_referral(await uow.staff.all(), fact.receiver_partner_id, fact.hub_id)
        link = link_to(fact.referral_id)
        await _notify(uow, envelope, recipients, link, lambda lang: wording.new_referral(
            lang, referral_id=fact.referral_id, service=service, hub=hub, sender=sender, link=link))

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
        await _notify(uow, envelope, recipients, link, lambda lang: wording.referral_changed(
            lang, referral_id=fact.referral_id, status=fact.status, service=service, hub=hub, by=by,
            reason=str(reason), link=link))

    async def referral_overdue(fact: f.ReferralOverdue, envelope: Envelope, uow: NotificationsUnitOfWork) -> None:
        names, staff = _Names(uow), await uow.staff.all()
        recipients = receivers_of_referral(staff, fact.receiver_partner_id, fact.hub_id)
        if fact.breach >= 2:
            recipients += managers_of(staff, fact.receiver_partner_id)
        service, hub = await names.service(fact.service_id), await names.hub(fact.hub_id)
        link = link_to(fact.referral_id)
        await _notify(uow, envelope, recipients, link, lambda lang: wording.referral_overdue(
            lang, referral_id=fact.referral_id, kind=fact.kind, breach=fact.breach, due_at=fact.due_at,
            service=service, hub=hub, link=link))

    async def hub_event_scheduled(fact: HubEventScheduled, envelope: Envelope, uow: NotificationsUnitOfWork) -> None:
        names = _Names(uow)
        hub, organiser = await names.hub(fact.hub_id), await names.partner(fact.organiser_partner_id)
        recipients = hosts_of_hub(await uow.staff.all(), fact.hub_id)
        link = f"{base_url}/hub-events/{fact.hub_event_id}"
        await _notify(uow, envelope, recipients, link, lambda lang: wording.hub_event_scheduled(
            lang, title=fact.title, hub=hub, starts_at=fact.starts_at, organiser=organiser, link=link))

    return {
        f.ReferralRequested: referral_requested,
        **{fact: referral_changed for fact in TOLD_TO_SENDER + TOLD_TO_RECEIVER},
        f.ReferralOverdue: referral_overdue,
        HubEventScheduled: hub_event_scheduled,
    }


async def _notify(
    uow: NotificationsUnitOfWork, envelope: Envelope, recipients: list[StaffMember], link: str,
    wording_in: Callable[[str], Wording],
) -> None:
    for member in recipients:
        for channel in CHANNELS:
            notification = Notification.for_staff(
                member, channel, wording_in(member.language), link=link, source_id=envelope.id,
                source_type=envelope.type,
            )
            if await uow.notifications.add(notification) and notification.status == "delivered":
                uow.emit(_delivered(notification), caused_by=envelope)


def _delivered(n: Notification) -> NotificationDelivered:
    return NotificationDelivered(
        notification_id=n.id, source_id=n.source_id, source_type=n.source_type, staff_id=n.staff_id,
        channel=n.channel, attempts=max(n.attempts, 1),
    )


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
