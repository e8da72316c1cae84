"""Facts on `outcome.events.v1`: what a completed referral led to, for follow-up."""

from datetime import datetime

from hubnet_common.sdk.messages.base import Fact
from hubnet_common.sdk.messages.vocabulary import MainActivity

TOPIC = "outcome.events.v1"


class OutcomeRecorded(Fact):
    ce_type = "se.hubnet.outcome.recorded.v1"
    topic = TOPIC

    referral_id: str
    referral_version: int
    hub_id: str
    service_id: str
    sender_partner_id: str
    receiver_partner_id: str
    main_activity: MainActivity
    public_support_continues: bool | None = None
    requested_at: datetime
    completed_at: datetime

    def subject(self) -> str:
        return self.referral_id
