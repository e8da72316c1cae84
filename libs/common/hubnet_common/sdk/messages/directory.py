"""The directory on the log-compacted `directory.v1` topic (HSDS-shaped).

The key is `<kind>:<id>`, so compaction keeps the latest entry of every partner, hub and service.
"""

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from hubnet_common.sdk.messages.base import Fact

TOPIC = "directory.v1"


class SigningKeyEntry(BaseModel):
    """One of a partner's Ed25519 message-signing keys (base64), valid from/until (None: open)."""

    model_config = ConfigDict(frozen=True)

    public_key: str
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None


class PartnerUpserted(Fact):
    ce_type = "se.hubnet.partner.upserted.v1"
    topic = TOPIC

    partner_id: str
    name: str
    active: bool = True
    encryption_public_key: str | None = None
    # The keys its messages are signed with; a rotated-out key stays until its valid_until.
    signing_keys: list[SigningKeyEntry] = []
    # Its standing: an active partner's commands count, a suspended or removed one's are refused
    # (`partner-suspended`, `partner-removed`). None (an older entry): active as `active` says.
    status: Literal["active", "suspended", "removed"] | None = None

    @property
    def standing(self) -> str:
        return self.status or ("active" if self.active else "suspended")

    def subject(self) -> str:
        return f"partner:{self.partner_id}"


class HubUpserted(Fact):
    ce_type = "se.hubnet.hub.upserted.v1"
    topic = TOPIC

    hub_id: str
    name: str
    active: bool = True

    def subject(self) -> str:
        return f"hub:{self.hub_id}"


class ServiceUpserted(Fact):
    ce_type = "se.hubnet.service.upserted.v1"
    topic = TOPIC

    service_id: str
    partner_id: str
    name: str
    hub_ids: list[str]
    active: bool = True
    available_places: int | None = None
    capacity_updated_at: datetime | None = None
    ack_within_days: int = 2
    answer_within_days: int = 5
    eligibility: str = ""
    languages: list[str] = ["sv"]
    contact_email: str = ""
    contact_phone: str = ""

    def subject(self) -> str:
        return f"service:{self.service_id}"
