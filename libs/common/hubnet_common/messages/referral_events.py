"""Facts on `referral.events.v1`, published by the referrals service."""

from datetime import datetime

from hubnet_common.messages.base import Fact

TOPIC = "referral.events.v1"


class ReferralRequested(Fact):
    ce_type = "se.hubnet.referral.requested.v1"
    topic = TOPIC

    referral_id: str
    version: int
    sender_partner_id: str
    receiver_partner_id: str
    service_id: str
    hub_id: str
    participant_ref: str
    purpose: str
    requested_at: datetime
    sealed_contact: str | None = None

    def subject(self) -> str:
        return self.referral_id
