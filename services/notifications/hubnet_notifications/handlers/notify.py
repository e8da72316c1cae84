"""Tell staff about facts: who is told comes from `domain.staff`, what they are told from
`domain.wording`. Each recipient gets an e-mail (sent by the delivery worker) and an inbox entry."""

from collections.abc import Callable

from hubnet_common.envelope import Envelope
from hubnet_common.messages.hubevent_events import HubEventScheduled
from hubnet_common.messages.notification_events import NotificationDelivered
from hubnet_common.messages.referral_events import ReferralRequested

from hubnet_notifications.adapters.uow import NotificationsUnitOfWork
from hubnet_notifications.domain.notification import Notification
from hubnet_notifications.domain.staff import StaffMember, hosts_of_hub, receivers_of_referral
from hubnet_notifications.domain.wording import Wording, hub_event_scheduled, new_referral

CHANNELS = ("email", "inbox")


def notifier(base_url: str):
    """The handlers of this service, with links pointing at `base_url`."""

    async def referral_requested(fact: ReferralRequested, envelope: Envelope, uow: NotificationsUnitOfWork) -> None:
        names = _Names(uow)
        service, hub, sender = (
            await names.service(fact.service_id), await names.hub(fact.hub_id), await names.partner(fact.sender_partner_id)
        )
        recipients = receivers_of_referral(await uow.staff.all(), fact.receiver_partner_id, fact.hub_id)
        link = f"{base_url}/referrals/{fact.referral_id}"
        await _notify(uow, envelope, recipients, link, lambda lang: new_referral(
            lang, referral_id=fact.referral_id, service=service, hub=hub, sender=sender, link=link))

    async def hub_event_scheduled_(fact: HubEventScheduled, envelope: Envelope, uow: NotificationsUnitOfWork) -> None:
        names = _Names(uow)
        hub, organiser = await names.hub(fact.hub_id), await names.partner(fact.organiser_partner_id)
        recipients = hosts_of_hub(await uow.staff.all(), fact.hub_id)
        link = f"{base_url}/hub-events/{fact.hub_event_id}"
        await _notify(uow, envelope, recipients, link, lambda lang: hub_event_scheduled(
            lang, title=fact.title, hub=hub, starts_at=fact.starts_at, organiser=organiser, link=link))

    return {ReferralRequested: referral_requested, HubEventScheduled: hub_event_scheduled_}


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
