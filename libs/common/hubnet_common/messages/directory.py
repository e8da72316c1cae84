"""The directory on the log-compacted `directory.v1` topic (HSDS-shaped, DESIGN §1 and §4).

The key is `<kind>:<id>`, so compaction keeps the latest entry of every partner, hub and service.
"""

from hubnet_common.messages.base import Fact

TOPIC = "directory.v1"


class PartnerUpserted(Fact):
    ce_type = "se.hubnet.partner.upserted.v1"
    topic = TOPIC

    partner_id: str
    name: str
    active: bool = True

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

    def subject(self) -> str:
        return f"service:{self.service_id}"
