"""In-memory repositories and units of work, wired through each service's bootstrap in unit tests."""

from __future__ import annotations

from hubnet_common.directory_copy import FakeDirectoryCopy
from hubnet_common.uow import FakeUnitOfWork
from hubnet_events.domain.hub_event import HubEvent
from hubnet_referrals.adapters.seed import read_network
from hubnet_referrals.domain.directory import Hub, Partner, Service
from hubnet_referrals.domain.referral import Referral


class FakeReferrals:
    def __init__(self) -> None:
        self.by_id: dict[str, Referral] = {}

    async def get(self, referral_id: str) -> Referral | None:
        return self.by_id.get(referral_id)

    async def add(self, referral: Referral) -> None:
        self.by_id[referral.id] = referral


class FakeDirectory:
    def __init__(self) -> None:
        self.partners: dict[str, Partner] = {}
        self.hubs: dict[str, Hub] = {}
        self.services: dict[str, Service] = {}

    async def partner(self, partner_id: str) -> Partner | None:
        return self.partners.get(partner_id)

    async def service(self, service_id: str) -> Service | None:
        return self.services.get(service_id)

    async def upsert_partner(self, partner: Partner) -> bool:
        changed = self.partners.get(partner.id) != partner
        self.partners[partner.id] = partner
        return changed

    async def upsert_hub(self, hub: Hub) -> bool:
        changed = self.hubs.get(hub.id) != hub
        self.hubs[hub.id] = hub
        return changed

    async def upsert_service(self, service: Service) -> bool:
        changed = self.services.get(service.id) != service
        self.services[service.id] = service
        return changed


class FakeReferralsUnitOfWork(FakeUnitOfWork):
    def __init__(self) -> None:
        super().__init__("referrals")
        self.referrals = FakeReferrals()
        self.directory = FakeDirectory()

    async def seed_network(self) -> None:
        partners, hubs, services = read_network()
        for p in partners:
            await self.directory.upsert_partner(p)
        for h in hubs:
            await self.directory.upsert_hub(h)
        for s in services:
            await self.directory.upsert_service(s)


class FakeHubEvents:
    def __init__(self) -> None:
        self.by_id: dict[str, HubEvent] = {}

    async def get(self, hub_event_id: str) -> HubEvent | None:
        return self.by_id.get(hub_event_id)

    async def add(self, event: HubEvent) -> None:
        self.by_id[event.id] = event


class FakeEventsUnitOfWork(FakeUnitOfWork):
    def __init__(self) -> None:
        super().__init__("events")
        self.hub_events = FakeHubEvents()
        self.directory = FakeDirectoryCopy()
