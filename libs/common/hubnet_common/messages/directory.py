"""The directory on the log-compacted `directory.v1` topic (HSDS-shaped, DESIGN §1 and §4).

The key is `<kind>:<id>`, so compaction keeps the latest entry of every partner, hub and service.
"""

from datetime import datetime

from hubnet_common.messages.base import Fact

TOPIC = "directory.v1"


class PartnerUpserted(Fact):
    ce_type = "se.hubnet.partner.upserted.v1"
    topic = TOPIC

    partner_id: str
    name: str
    active: bool = True
    encryption_public_key: str | None = None

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
