"""Commands on `referral.commands.v1`, sent by partner systems (and the `hubnet` command line).

Every lifecycle command may carry `expected_version`: the referral's version the sender saw; a
referral that has moved on since is refused (`stale-version`) instead of changed blindly. It may
carry `noted_by`, the staff member who took the step: the referral's history keeps it (the partner's
key still signs the command; the name is the partner's word for who clicked).

Contact details and every free text that may describe the resident (need, reasons, notes) are
`Sealed`/`SealedText`: empty or sealed under the resident's data key, never plain text. Staff
names (`noted_by`) are the partners' own business, not the resident's, and stay plain.
"""

from pydantic import AwareDatetime, Field

from hubnet_common.sdk.envelope import uuid7
from hubnet_common.sdk.messages.base import (
    Command,
    Id,
    ParticipantRef,
    Sealed,
    SealedPersonnummer,
    SealedText,
    ShortText,
)
from hubnet_common.sdk.messages.vocabulary import ConsentMethod, MainActivity, Purpose, ReasonCode

TOPIC = "referral.commands.v1"


def new_referral_id() -> str:
    return f"R-{uuid7()}"


def new_consent_id() -> str:
    return f"C-{uuid7()}"


class CreateReferral(Command):
    ce_type = "se.hubnet.referral.create.v1"
    topic = TOPIC

    referral_id: Id = Field(default_factory=new_referral_id)
    service_id: Id
    hub_id: Id
    participant_ref: ParticipantRef
    purpose: Purpose
    consent_id: Id
    need: SealedText = ""
    # ContactDetails sealed under the resident's data key; hubnet only carries the ciphertext.
    sealed_contact: Sealed | None = None
    # A referral to a hub event (e.g. an information evening): the resident is registered for it.
    hub_event_id: Id | None = None
    occurrence_starts_at: AwareDatetime | None = None

    def subject(self) -> str:
        return self.referral_id


class _ChangeReferral(Command):
    topic = TOPIC

    referral_id: Id
    expected_version: int | None = Field(default=None, ge=1)
    noted_by: ShortText | None = None  # the staff member who took the step

    def subject(self) -> str:
        return self.referral_id


class AcknowledgeReferral(_ChangeReferral):
    ce_type = "se.hubnet.referral.acknowledge.v1"


class AcceptReferral(_ChangeReferral):
    ce_type = "se.hubnet.referral.accept.v1"


class RejectReferral(_ChangeReferral):
    ce_type = "se.hubnet.referral.reject.v1"
    reason_code: ReasonCode
    reason: SealedText = ""


class StartReferral(_ChangeReferral):
    ce_type = "se.hubnet.referral.start.v1"


class HoldReferral(_ChangeReferral):
    ce_type = "se.hubnet.referral.hold.v1"
    reason: SealedText = ""


class ResumeReferral(_ChangeReferral):
    ce_type = "se.hubnet.referral.resume.v1"


class FailReferral(_ChangeReferral):
    ce_type = "se.hubnet.referral.fail.v1"
    reason_code: ReasonCode
    reason: SealedText = ""


class OutcomeReport(Command):
    """What the referral led to: the main activity after the intervention."""

    main_activity: MainActivity
    public_support_continues: bool | None = None
    note: SealedText = ""


class CompleteReferral(_ChangeReferral):
    ce_type = "se.hubnet.referral.complete.v1"
    outcome: OutcomeReport


class CancelReferral(_ChangeReferral):
    ce_type = "se.hubnet.referral.cancel.v1"
    reason_code: ReasonCode
    reason: SealedText = ""


class ReopenReferral(_ChangeReferral):
    ce_type = "se.hubnet.referral.reopen.v1"
    note: Sealed


class MarkReferralEnteredInError(_ChangeReferral):
    ce_type = "se.hubnet.referral.mark-entered-in-error.v1"
    note: Sealed


class RecordConsent(Command):
    """A resident's consent (samtycke): to which partners, for what, how, when and until when.

    It gives partners the resident's data key, so the sender proves it knows the resident:
    `sealed_personnummer` (the normalised number in a sealed box to the referrals service's X25519 key,
    docs/contract/vectors/personnummer.json) is required, a ref alone is refused (`resident-unproven`).
    The answer carries the resident's `participant_ref`; a ref given too must be theirs."""

    ce_type = "se.hubnet.consent.record.v1"
    topic = TOPIC

    consent_id: Id = Field(default_factory=new_consent_id)
    sealed_personnummer: SealedPersonnummer | None = None
    participant_ref: ParticipantRef | None = None
    partner_ids: list[Id] = Field(min_length=1, max_length=50)
    purposes: list[Purpose] = Field(min_length=1)
    method: ConsentMethod
    noted_by: ShortText  # the staff member who took it
    given_at: AwareDatetime
    valid_until: AwareDatetime

    def subject(self) -> str:
        return self.consent_id


class WithdrawConsent(Command):
    ce_type = "se.hubnet.consent.withdraw.v1"
    topic = TOPIC

    consent_id: Id
    noted_by: ShortText
    withdrawn_at: AwareDatetime | None = None

    def subject(self) -> str:
        return self.consent_id


class EraseParticipant(Command):
    """Forget a resident (their request): their data key is destroyed, so nothing sealed about
    them can be opened any more; their open referrals end and every service drops what it holds.
    Sent by a partner that recorded, or is named in, one of the resident's consents, with the
    resident's number sealed to the referrals service, as in RecordConsent (a ref alone is refused)."""

    ce_type = "se.hubnet.participant.erase.v1"
    topic = TOPIC

    sealed_personnummer: SealedPersonnummer | None = None
    participant_ref: ParticipantRef | None = None
    noted_by: ShortText  # the staff member who took the request

    def subject(self) -> str:
        return self.participant_ref or "participant"
