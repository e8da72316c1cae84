"""Partners manage their own staff, subscriptions and webhook endpoints (notification.commands.v1)."""

from dataclasses import replace
from functools import partial

from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.errors import Refused
from hubnet_common.sdk.identity import partner_of
from hubnet_common.sdk.messages import notification_commands as c
from hubnet_common.sdk.messages.base import Message
from hubnet_common.sdk.webhook_signature import new_secret, seal_secret
from hubnet_common.service.processing import Handler
from hubnet_notifications.domain.staff import StaffMember
from hubnet_notifications.domain.subscription import Subscription, WebhookEndpoint
from hubnet_notifications.domain.webhook_address import WebhookPolicy
from hubnet_notifications.handlers.ports import UnitOfWork


class NotPermitted(Refused):
    """The staff member, subscription or webhook belongs to another partner."""

    code = "not-permitted"


class Unknown(Refused):
    """No staff member, subscription or webhook with this id."""

    code = "unknown"


class AddressNotAllowed(Refused):
    """A webhook address that is not https or points into a private network."""

    code = "address-not-allowed"


class NoEncryptionKey(Refused):
    """The partner has published no X25519 key to seal the webhook's secret to (UpdatePartner)."""

    code = "no-encryption-key"


def _partner(envelope: Envelope) -> str:
    partner_id = partner_of(envelope.source)
    if not partner_id:
        raise NotPermitted(f"{envelope.source} is not a partner")
    return partner_id


async def _own_staff(uow: UnitOfWork, envelope: Envelope, staff_id: str) -> StaffMember:
    member = await uow.staff.get(staff_id)
    if member is None:
        raise Unknown(f"there is no staff member {staff_id}")
    if member.partner_id != _partner(envelope):
        raise NotPermitted(f"{staff_id} works for {member.partner_id}, not for {_partner(envelope)}")
    return member


async def upsert_staff_member(command: c.UpsertStaffMember, envelope: Envelope, uow: UnitOfWork) -> None:
    partner_id = _partner(envelope)
    existing = await uow.staff.get(command.staff_id)
    if existing is not None and existing.partner_id != partner_id:
        raise NotPermitted(f"{command.staff_id} works for {existing.partner_id}")
    await uow.staff.upsert(
        StaffMember(
            id=command.staff_id,
            name=command.name,
            email=command.email,
            partner_id=partner_id,
            hubs=tuple(command.hubs),
            roles=tuple(command.roles),
            language=command.language,
            delivery=command.delivery,
        )
    )


async def remove_staff_member(command: c.RemoveStaffMember, envelope: Envelope, uow: UnitOfWork) -> None:
    member = await _own_staff(uow, envelope, command.staff_id)
    await uow.staff.upsert(replace(member, active=False))


async def subscribe(command: c.Subscribe, envelope: Envelope, uow: UnitOfWork) -> None:
    await _own_staff(uow, envelope, command.staff_id)
    await uow.subscriptions.add(
        Subscription(
            id=command.subscription_id,
            staff_id=command.staff_id,
            kinds=tuple(command.kinds),
            partner_id=command.partner_id,
            service_id=command.service_id,
            hub_id=command.hub_id,
        )
    )


async def unsubscribe(command: c.Unsubscribe, envelope: Envelope, uow: UnitOfWork) -> None:
    await _own_staff(uow, envelope, command.staff_id)
    if not await uow.subscriptions.remove(command.subscription_id, command.staff_id):
        raise Unknown(f"{command.staff_id} has no subscription {command.subscription_id}")


async def register_webhook(
    command: c.RegisterWebhook, envelope: Envelope, uow: UnitOfWork, *, policy: WebhookPolicy, at_rest: str
) -> dict[str, str]:
    """Makes the endpoint's secret; stores it sealed to `at_rest` (the service's own X25519 public
    key) and returns it sealed to the partner's, for its answer (docs/adr/0008-webhook-secrets.md)."""
    partner_id = _partner(envelope)
    # An address literal is checked here; a name at each delivery, on what it resolves to then.
    if (why := policy.refusal(command.url)) is not None:
        raise AddressNotAllowed(why)
    owner = await uow.webhooks.owner(command.webhook_id)
    if owner is not None and owner != partner_id:
        raise NotPermitted(f"the webhook {command.webhook_id} belongs to {owner}")
    partner_key = await uow.directory.encryption_key(partner_id)
    if not partner_key:
        raise NoEncryptionKey(f"{partner_id} has no encryption key in the directory to seal the secret to")
    secret = new_secret()
    await uow.webhooks.upsert(
        WebhookEndpoint(command.webhook_id, partner_id, command.url, seal_secret(secret, at_rest), tuple(command.kinds))
    )
    return {"sealed_secret": seal_secret(secret, partner_key)}


async def remove_webhook(command: c.RemoveWebhook, envelope: Envelope, uow: UnitOfWork) -> None:
    owner = await uow.webhooks.owner(command.webhook_id)
    if owner is None:
        raise Unknown(f"there is no webhook {command.webhook_id}")
    if owner != _partner(envelope):
        raise NotPermitted(f"the webhook {command.webhook_id} belongs to {owner}")
    await uow.webhooks.deactivate(command.webhook_id)


def handlers(policy: WebhookPolicy, at_rest: str) -> dict[type[Message], Handler]:
    """The handlers of notification.commands.v1, webhooks held to `policy` (settings.py) and their
    secrets sealed at rest to `at_rest`, the service's X25519 public key."""
    return {
        c.UpsertStaffMember: upsert_staff_member,
        c.RemoveStaffMember: remove_staff_member,
        c.Subscribe: subscribe,
        c.Unsubscribe: unsubscribe,
        c.RegisterWebhook: partial(register_webhook, policy=policy, at_rest=at_rest),
        c.RemoveWebhook: remove_webhook,
    }
