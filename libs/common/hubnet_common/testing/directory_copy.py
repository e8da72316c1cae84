"""A directory copy in memory, for unit tests."""

from __future__ import annotations

from hubnet_common.sdk.messages.directory import HubUpserted, PartnerUpserted, ServiceUpserted
from hubnet_common.sdk.signing import PublicSigningKey
from hubnet_common.service.directory_copy import Known, signing_keys_of


class FakeDirectoryCopy:
    def __init__(self) -> None:
        self.partners: dict[str, Known] = {}
        self.signing_keys: dict[str, list[PublicSigningKey]] = {}
        self.hubs: dict[str, Known] = {}
        self.services: dict[str, Known] = {}
        self.encryption_keys: dict[str, str | None] = {}

    async def hub(self, hub_id: str) -> Known | None:
        return self.hubs.get(hub_id)

    async def partner(self, partner_id: str) -> Known | None:
        return self.partners.get(partner_id)

    async def service(self, service_id: str) -> Known | None:
        return self.services.get(service_id)

    async def encryption_key(self, partner_id: str) -> str | None:
        return self.encryption_keys.get(partner_id)

    async def keep_partner(self, fact: PartnerUpserted) -> None:
        self.encryption_keys[fact.partner_id] = fact.encryption_public_key
        self.partners[fact.partner_id] = Known(fact.partner_id, fact.name, fact.active)
        self.signing_keys[fact.partner_id] = signing_keys_of(fact)

    async def keep_hub(self, fact: HubUpserted) -> None:
        self.hubs[fact.hub_id] = Known(fact.hub_id, fact.name, fact.active)

    async def keep_service(self, fact: ServiceUpserted) -> None:
        self.services[fact.service_id] = Known(fact.service_id, fact.name, fact.active)
