"""In-memory repositories and units of work, wired through each service's bootstrap in unit tests."""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import replace

from hubnet_common.directory_copy import FakeDirectoryCopy
from hubnet_common.keys import owner_source, read_key
from hubnet_common.deadletter import CollectedDeadLetters
from hubnet_common.processing import Processor, Record
from hubnet_common.settings import Settings
from hubnet_common.signing import PublicSigningKey, Signer
from hubnet_common.trust import StaticKeyRing, Verifier
from hubnet_common.uow import FakeUnitOfWork
from hubnet_events.domain.hub_event import HubEvent
from hubnet_events.domain.occurrence import Occurrence
from hubnet_referrals import bootstrap
from hubnet_referrals.adapters.seed import read_network
from hubnet_referrals.domain.directory import Hub, Partner, Service
from hubnet_referrals.domain.consent import Consent
from hubnet_referrals.domain.data_key import DataKeyCopy
from hubnet_referrals.domain.referral import Referral
from hubnet_referrals.domain.sla import SlaClock
from hubnet_referrals.settings import ReferralSettings


def network_verifier() -> Verifier:
    """Verifies with every key of the session's network (tests/conftest.py `network_keys`)."""
    keys = [PublicSigningKey(owner_source(path.name.removesuffix(".ed25519.pub")), read_key(path))
            for path in Settings().keys_dir.glob("*.ed25519.pub")]
    return Verifier(StaticKeyRing(keys), unknown_key_grace=0)


async def referrals_processor() -> tuple[Processor, FakeReferralsUnitOfWork, CollectedDeadLetters]:
    """The referrals service's command processing on in-memory fakes, verifying with the session's keys."""
    uow, dead = FakeReferralsUnitOfWork(), CollectedDeadLetters()
    await uow.seed_network()
    spec = bootstrap.spec(ReferralSettings(), uow_factory=lambda _pool: lambda: uow)
    [route] = spec.routes
    return Processor(route=route, consumer_group="g", uow_factory=spec.uow_factory(None), dead_letters=dead,
                     verifier=network_verifier()), uow, dead


def signer(name: str) -> Signer:
    return Signer(read_key(Settings().keys_dir / f"{name}.ed25519.key"))


def signed(record: Record, by: str = "partner-bostadsbolaget") -> Record:
    return replace(record, headers=tuple(signer(by).sign(record.key, record.headers, record.value)))


class FakeReferrals:
    def __init__(self) -> None:
        self.by_id: dict[str, Referral] = {}

    async def get(self, referral_id: str, *, for_update: bool = False) -> Referral | None:
        stored = self.by_id.get(referral_id)
        return copy.deepcopy(stored) if stored else None  # like a fresh load: changes count only when saved

    async def add(self, referral: Referral) -> None:
        self.by_id[referral.id] = copy.deepcopy(referral)

    async def save(self, referral: Referral) -> None:
        self.by_id[referral.id] = copy.deepcopy(referral)

    async def open_under_consent(self, consent_id: str) -> list[str]:
        return sorted(r.id for r in self.by_id.values() if r.consent_id == consent_id and r.is_open)

    async def open_of_participant(self, participant_ref: str) -> list[str]:
        return sorted(r.id for r in self.by_id.values() if r.participant_ref == participant_ref and r.is_open)

    async def ids_of_participant(self, participant_ref: str) -> list[str]:
        return sorted(r.id for r in self.by_id.values() if r.participant_ref == participant_ref)

    async def erase_personal_data(self, *, consent_id: str | None = None, participant_ref: str | None = None) -> int:
        scrubbed = 0
        for r in self.by_id.values():
            if consent_id in (None, r.consent_id) and participant_ref in (None, r.participant_ref):
                scrubbed += bool(r.sealed_contact or r.need)
                r.sealed_contact, r.need = None, ""
                r.history = [dataclasses.replace(t, reason="", note="", outcome=t.outcome and dataclasses.replace(
                    t.outcome, note="")) for t in r.history]
        return scrubbed


class FakeConsents:
    def __init__(self) -> None:
        self.by_id: dict[str, Consent] = {}

    async def get(self, consent_id: str, *, for_update: bool = False) -> Consent | None:
        stored = self.by_id.get(consent_id)
        return copy.deepcopy(stored) if stored else None

    async def add(self, consent: Consent) -> None:
        self.by_id[consent.id] = copy.deepcopy(consent)

    async def save_withdrawal(self, consent: Consent) -> None:
        self.by_id[consent.id] = copy.deepcopy(consent)

    async def of_participant(self, participant_ref: str, *, for_update: bool = False) -> list[Consent]:
        return [copy.deepcopy(c) for _, c in sorted(self.by_id.items()) if c.participant_ref == participant_ref]


class FakeDataKeys:
    def __init__(self) -> None:
        self.copies_by_ref: dict[str, dict[str, DataKeyCopy]] = {}

    async def lock(self, participant_ref: str) -> None:
        pass

    async def copies(self, participant_ref: str) -> dict[str, DataKeyCopy]:
        return dict(self.copies_by_ref.get(participant_ref, {}))

    async def put(self, participant_ref: str, copy: DataKeyCopy) -> None:
        self.copies_by_ref.setdefault(participant_ref, {})[copy.holder] = copy

    async def destroy(self, participant_ref: str) -> int:
        return len(self.copies_by_ref.pop(participant_ref, {}))


class FakeSlaClocks:
    def __init__(self) -> None:
        self.running: dict[tuple[str, str], SlaClock] = {}

    async def start(self, clock: SlaClock) -> None:
        self.running[(clock.referral_id, clock.kind)] = clock

    async def stop(self, referral_id: str, at, kind: str | None = None) -> None:
        for key in [k for k in self.running if k[0] == referral_id and kind in (None, k[1])]:
            del self.running[key]

    async def due(self, now, limit: int) -> list[SlaClock]:
        return sorted((c for c in self.running.values() if c.is_due(now)), key=lambda c: c.due_at)[:limit]

    async def save(self, clock: SlaClock) -> None:
        self.running[(clock.referral_id, clock.kind)] = clock


class FakeDirectory:
    def __init__(self) -> None:
        self.partners: dict[str, Partner] = {}
        self.hubs: dict[str, Hub] = {}
        self.services: dict[str, Service] = {}

    async def partner(self, partner_id: str) -> Partner | None:
        return self.partners.get(partner_id)

    async def service(self, service_id: str) -> Service | None:
        return self.services.get(service_id)

    async def hub_exists(self, hub_id: str) -> bool:
        return hub_id in self.hubs and self.hubs[hub_id].active

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


class FakeAudit:
    def __init__(self) -> None:
        self.entries: list[dict] = []

    async def append(self, **entry) -> None:
        self.entries.append(entry)


class FakeReferralsUnitOfWork(FakeUnitOfWork):
    def __init__(self) -> None:
        super().__init__("referrals")
        self.audit = FakeAudit()
        self.referrals = FakeReferrals()
        self.consents = FakeConsents()
        self.sla = FakeSlaClocks()
        self.directory = FakeDirectory()
        self.data_keys = FakeDataKeys()

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

    async def get_for_update(self, hub_event_id: str) -> HubEvent | None:
        stored = self.by_id.get(hub_event_id)
        return copy.deepcopy(stored) if stored else None

    async def save(self, event: HubEvent) -> None:
        self.by_id[event.id] = copy.deepcopy(event)


class FakeOccurrences:
    def __init__(self) -> None:
        self.by_key: dict[tuple, Occurrence] = {}
        self.forgotten_referrals: set[str] = set()

    async def forgotten(self, referral_id: str) -> bool:
        return referral_id in self.forgotten_referrals

    async def add(self, occurrences: list[Occurrence]) -> None:
        self.by_key.update({(o.hub_event_id, o.starts_at): copy.deepcopy(o) for o in occurrences})

    async def starts(self, hub_event_id: str) -> list:
        return sorted(start for event_id, start in self.by_key if event_id == hub_event_id)

    async def get(self, hub_event_id: str, starts_at) -> Occurrence | None:
        stored = self.by_key.get((hub_event_id, starts_at))
        return copy.deepcopy(stored) if stored else None

    async def save(self, occurrence: Occurrence) -> None:
        self.by_key[(occurrence.hub_event_id, occurrence.starts_at)] = copy.deepcopy(occurrence)

    async def move(self, occurrence: Occurrence, was) -> None:
        del self.by_key[(occurrence.hub_event_id, was)]
        await self.save(occurrence)

    async def registration_of_referral(self, referral_id: str) -> tuple | None:
        made = [(o.hub_event_id, o.starts_at, r.participant_ref) for o in self.by_key.values()
                for r in o.registrations if r.referral_id == referral_id]
        return made[-1] if made else None

    async def upcoming_of(self, participant_ref: str, after) -> list[tuple]:
        return sorted((o.hub_event_id, o.starts_at) for o in self.by_key.values()
                      if o.starts_at > after and o.find(participant_ref))

    async def forget(self, participant_ref: str, referral_ids: list[str]) -> None:
        self.forgotten_referrals.update(referral_ids)
        for o in self.by_key.values():
            for r in o.registrations:
                if r.participant_ref == participant_ref:
                    r.participant_ref = None


class FakeEventsUnitOfWork(FakeUnitOfWork):
    def __init__(self) -> None:
        super().__init__("events")
        self.hub_events = FakeHubEvents()
        self.occurrences = FakeOccurrences()
        self.directory = FakeDirectoryCopy()
