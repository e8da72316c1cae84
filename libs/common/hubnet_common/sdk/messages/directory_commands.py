"""Directory commands, also on `referral.commands.v1`: the referrals service owns the directory.

A partner changes its own entry and its own services; the new state is published on the
log-compacted `directory.v1` topic.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, ConfigDict, Field, StringConstraints, model_validator

from hubnet_common.sdk.messages.base import Command, Id, LongText, ShortText
from hubnet_common.sdk.messages.directory import Schedule
from hubnet_common.sdk.signing import prove_possession, public_signing_key

TOPIC = "referral.commands.v1"
PublicKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9+/]{43}=$")]  # 32 bytes, base64
Signature = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9+/]{86}==$")]  # 64 bytes, base64
Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]
# A term of the directory's taxonomy of needs (GET /taxonomy_terms of the referrals service): "work", "sfi", …
NEED = r"^[a-z][a-z0-9-]*$"
Need = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=NEED)]
WebAddress = Annotated[str, StringConstraints(max_length=2000, pattern=r"^(https?://[^\s]+)?$")]
Age = Annotated[int, Field(ge=0, le=130)]


class ServiceSchedule(Schedule):
    """One of a service's opening times, as a partner gives it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="after")
    def _in_order(self) -> ServiceSchedule:
        if self.closes_at <= self.opens_at:
            raise ValueError(f"closes_at {self.closes_at} is not after opens_at {self.opens_at}")
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        return self


class UpsertService(Command):
    """A partner's service, described as HSDS describes one. A field the message leaves out keeps
    what the directory holds (a new service takes the defaults), so a partner built against an
    older version of this message does not erase what was added since."""

    ce_type = "se.hubnet.directory.upsert-service.v1"
    topic = TOPIC

    service_id: Id
    name: ShortText
    hub_ids: list[Id] = Field(min_length=1)
    active: bool = True
    available_places: int | None = Field(default=None, ge=0)
    ack_within_days: int = Field(default=2, ge=1, le=60)
    answer_within_days: int = Field(default=5, ge=1, le=60)
    eligibility: LongText = ""
    languages: list[Language] = Field(default_factory=lambda: ["sv"])
    contact_email: str = Field(default="", max_length=254)
    contact_phone: str = Field(default="", max_length=40)
    description: LongText = ""
    alternate_name: Annotated[str, StringConstraints(max_length=200, strip_whitespace=True)] = ""
    url: WebAddress = ""
    application_process: LongText = ""  # how to apply, or to be referred
    interpretation_services: LongText = ""
    fees_description: LongText = ""
    minimum_age: Age | None = None
    maximum_age: Age | None = None
    required_documents: list[ShortText] = Field(default_factory=list, max_length=20)  # to bring or show
    schedules: list[ServiceSchedule] = Field(default_factory=list, max_length=50)
    needs: list[Need] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _consistent(self) -> UpsertService:
        if self.minimum_age is not None and self.maximum_age is not None and self.maximum_age < self.minimum_age:
            raise ValueError("maximum_age is below minimum_age")
        elsewhere = sorted({s.hub_id for s in self.schedules if s.hub_id is not None} - set(self.hub_ids))
        if elsewhere:
            raise ValueError(f"schedules name hubs the service is not offered at: {elsewhere}")
        return self

    def subject(self) -> str:
        return f"service:{self.service_id}"


class UpdateCapacity(Command):
    ce_type = "se.hubnet.directory.update-capacity.v1"
    topic = TOPIC

    service_id: Id
    available_places: int | None = Field(ge=0)  # None: stop counting places

    def subject(self) -> str:
        return f"service:{self.service_id}"


class UpdatePartner(Command):
    """A partner's own entry: its name and the public key contact details are sealed to."""

    ce_type = "se.hubnet.directory.update-partner.v1"
    topic = TOPIC

    partner_id: Id  # must be the sender's own
    name: ShortText | None = None
    encryption_public_key: PublicKey | None = None

    def subject(self) -> str:
        return f"partner:{self.partner_id}"


class RotateSigningKey(Command):
    """A partner's new message-signing key. Signed with a key still valid, and carrying `proof`:
    the new key's own Ed25519 signature, in base64, over the UTF-8 lines `hubnet possession v1`, the
    partner id and the new key's id, joined by a newline each, so no partner can claim a key it does not
    hold. The partner's other keys stay valid until
    `previous_valid_until` (default: a day after the rotation), so messages already on their way
    are still accepted. (The Python SDK makes one with `RotateSigningKey.to(partner_id, new_private_key)`.)"""

    ce_type = "se.hubnet.directory.rotate-signing-key.v1"
    topic = TOPIC

    partner_id: Id  # must be the sender's own
    public_key: PublicKey
    proof: Signature
    previous_valid_until: AwareDatetime | None = None

    @classmethod
    def to(
        cls, partner_id: str, new_private_key: str, previous_valid_until: datetime | None = None
    ) -> RotateSigningKey:
        """The rotation to the key pair whose private half is `new_private_key` (base64)."""
        return cls(
            partner_id=partner_id,
            public_key=public_signing_key(new_private_key),
            proof=prove_possession(new_private_key, partner_id),
            previous_valid_until=previous_valid_until,
        )

    def subject(self) -> str:
        return f"partner:{self.partner_id}"
