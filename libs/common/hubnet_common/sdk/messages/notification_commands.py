"""Commands on `notification.commands.v1`: partners manage their own staff, what they are told,
and their webhook endpoints. Answers on the partner's `partner.<id>.replies.v1`."""

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from hubnet_common.sdk.envelope import uuid7
from hubnet_common.sdk.messages.base import Command, Id, ShortText

TOPIC = "notification.commands.v1"
Kind = Annotated[str, StringConstraints(pattern=r"^[a-z]+\.([a-z-]+|\*)$")]  # e.g. referral.requested, referral.*
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]


class UpsertStaffMember(Command):
    ce_type = "se.hubnet.staff.upsert.v1"
    topic = TOPIC

    staff_id: Id
    name: ShortText
    email: Email
    hubs: list[Id] = []
    roles: list[Id] = []
    language: Literal["sv", "en"] = "sv"
    delivery: Literal["immediate", "digest"] = "immediate"

    def subject(self) -> str:
        return f"staff:{self.staff_id}"


class RemoveStaffMember(Command):
    ce_type = "se.hubnet.staff.remove.v1"
    topic = TOPIC

    staff_id: Id

    def subject(self) -> str:
        return f"staff:{self.staff_id}"


class Subscribe(Command):
    ce_type = "se.hubnet.subscription.subscribe.v1"
    topic = TOPIC

    subscription_id: Id = Field(default_factory=lambda: f"S-{uuid7()}")
    staff_id: Id
    kinds: list[Kind] = Field(min_length=1)
    partner_id: Id | None = None
    service_id: Id | None = None
    hub_id: Id | None = None

    def subject(self) -> str:
        return f"staff:{self.staff_id}"


class Unsubscribe(Command):
    ce_type = "se.hubnet.subscription.unsubscribe.v1"
    topic = TOPIC

    subscription_id: Id
    staff_id: Id

    def subject(self) -> str:
        return f"staff:{self.staff_id}"


class RegisterWebhook(Command):
    """The service makes the endpoint's secret, which signs every delivery (HMAC-SHA256,
    docs/contract/vectors/webhook-signature.json), and answers with it sealed to the partner's X25519 key
    (`CommandAccepted.sealed_secret`: `sealed-secret:v1:` + base64 of a sealed box; open it with your
    X25519 key pair). Registering the
    same webhook again replaces its secret. No secret travels in the command (docs/adr/0008-webhook-secrets.md)."""

    ce_type = "se.hubnet.webhook.register.v1"
    topic = TOPIC

    webhook_id: Id
    url: Annotated[str, StringConstraints(pattern=r"^https?://[^\s]+$", max_length=2000)]
    kinds: list[Kind] = Field(min_length=1)

    def subject(self) -> str:
        return f"webhook:{self.webhook_id}"


class RemoveWebhook(Command):
    ce_type = "se.hubnet.webhook.remove.v1"
    topic = TOPIC

    webhook_id: Id

    def subject(self) -> str:
        return f"webhook:{self.webhook_id}"
