"""Commands on `referral.commands.v1`, sent by partner systems."""

from pydantic import Field

from hubnet_common.envelope import uuid7
from hubnet_common.messages.base import Command, Id, LongText, ParticipantRef, ShortText

TOPIC = "referral.commands.v1"


def new_referral_id() -> str:
    return f"R-{uuid7()}"


class CreateReferral(Command):
    ce_type = "se.hubnet.referral.create.v1"
    topic = TOPIC

    referral_id: Id = Field(default_factory=new_referral_id)
    service_id: Id
    hub_id: Id
    participant_ref: ParticipantRef
    purpose: ShortText
    need: LongText = ""
    consent_id: Id | None = None
    # Contact details sealed to the receiving partner's key; hubnet only carries the ciphertext.
    sealed_contact: str | None = Field(default=None, max_length=8000)

    def subject(self) -> str:
        return self.referral_id
