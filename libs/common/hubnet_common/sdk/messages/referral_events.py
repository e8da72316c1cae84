"""Facts on `referral.events.v1`, published by the referrals service: one per transition of a
referral, its overdue warnings, and consents recorded or withdrawn.

Facts carry the pseudonymous `participant_ref` only where a consumer needs it (the request) and
sealed contact details only in the request, so after consent is withdrawn no later fact carries
more than the reference. Contact details, reasons and notes are sealed under the resident's data key
(`sealed:v2:…`, or empty), as their commands carried them: once the resident is erased
(`participant.erased`), no copy on the topic can be opened.
"""

from datetime import datetime
from typing import Literal

from hubnet_common.sdk.messages.base import Fact
from hubnet_common.sdk.messages.vocabulary import ConsentMethod, MainActivity, Purpose, ReasonCode, Status

TOPIC = "referral.events.v1"


class _ReferralFact(Fact):
    topic = TOPIC

    referral_id: str
    version: int
    status: Status
    sender_partner_id: str
    receiver_partner_id: str
    service_id: str
    hub_id: str
    actor_partner_id: str
    at: datetime

    def subject(self) -> str:
        return self.referral_id


class ReferralRequested(_ReferralFact):
    ce_type = "se.hubnet.referral.requested.v1"
    participant_ref: str
    purpose: Purpose
    consent_id: str
    sealed_contact: str | None = None
    ack_due_at: datetime | None = None
    hub_event_id: str | None = None
    occurrence_starts_at: datetime | None = None


class ReferralReceived(_ReferralFact):
    ce_type = "se.hubnet.referral.received.v1"
    answer_due_at: datetime | None = None


class ReferralAccepted(_ReferralFact):
    ce_type = "se.hubnet.referral.accepted.v1"


class ReferralRejected(_ReferralFact):
    ce_type = "se.hubnet.referral.rejected.v1"
    reason_code: ReasonCode
    reason: str = ""


class ReferralStarted(_ReferralFact):
    ce_type = "se.hubnet.referral.started.v1"


class ReferralPutOnHold(_ReferralFact):
    ce_type = "se.hubnet.referral.put-on-hold.v1"
    reason: str = ""


class ReferralResumed(_ReferralFact):
    ce_type = "se.hubnet.referral.resumed.v1"


class ReferralFailed(_ReferralFact):
    ce_type = "se.hubnet.referral.failed.v1"
    reason_code: ReasonCode
    reason: str = ""


class ReferralCompleted(_ReferralFact):
    ce_type = "se.hubnet.referral.completed.v1"
    main_activity: MainActivity
    public_support_continues: bool | None = None


class ReferralCancelled(_ReferralFact):
    ce_type = "se.hubnet.referral.cancelled.v1"
    reason_code: ReasonCode | None = None
    reason: str = ""


class ReferralReopened(_ReferralFact):
    ce_type = "se.hubnet.referral.reopened.v1"
    note: str


class ReferralEnteredInError(_ReferralFact):
    ce_type = "se.hubnet.referral.entered-in-error.v1"
    note: str


class ReferralOverdue(_ReferralFact):
    """Not acknowledged (or not answered) within the service's SLA; `breach` counts the SLA
    periods passed, so notifications can escalate the second one."""

    ce_type = "se.hubnet.referral.overdue.v1"
    kind: Literal["acknowledge", "answer"]
    due_at: datetime
    breach: int


class ConsentRecorded(Fact):
    ce_type = "se.hubnet.consent.recorded.v1"
    topic = TOPIC

    consent_id: str
    participant_ref: str
    partner_ids: list[str]
    purposes: list[Purpose]
    method: ConsentMethod
    given_at: datetime
    valid_until: datetime
    recorded_by_partner_id: str

    def subject(self) -> str:
        return self.consent_id


class ConsentWithdrawn(Fact):
    ce_type = "se.hubnet.consent.withdrawn.v1"
    topic = TOPIC

    consent_id: str
    participant_ref: str
    withdrawn_at: datetime
    cancelled_referral_ids: list[str]

    def subject(self) -> str:
        return self.consent_id


class ParticipantErased(Fact):
    """A resident is forgotten: their data key is destroyed, their open referrals ended, and each
    service drops what it holds about them (`referral_ids`: every referral made for them)."""

    ce_type = "se.hubnet.participant.erased.v1"
    topic = TOPIC

    participant_ref: str
    reason: Literal["requested", "consent-withdrawn"]
    requested_by_partner_id: str
    erased_at: datetime
    referral_ids: list[str]

    def subject(self) -> str:
        return self.participant_ref
