"""The referrals service on in-memory repositories (adapters/repository.py's behaviour)."""

from __future__ import annotations

import copy
import dataclasses
from datetime import UTC, datetime

from hubnet_common.service.processing import Processor
from hubnet_common.testing.deadletter import CollectedDeadLetters
from hubnet_common.testing.uow import FakeUnitOfWork
from hubnet_referrals import bootstrap
from hubnet_referrals.adapters.seed import read_network
from hubnet_referrals.domain.consent import Consent
from hubnet_referrals.domain.data_key import DataKeyCopy
from hubnet_referrals.domain.directory import Hub, Partner, Service
from hubnet_referrals.domain.referral import Referral
from hubnet_referrals.domain.sla import SlaClock
from hubnet_referrals.settings import ReferralSettings
from tests.unit.common.fakes.network import network_verifier


async def referrals_processor() -> tuple[Processor, FakeReferralsUnitOfWork, CollectedDeadLetters]:
    """The referrals service's command processing on in-memory fakes, verifying with the session's keys."""
    uow, dead = FakeReferralsUnitOfWork(), CollectedDeadLetters()
    await uow.seed_network()
    spec = bootstrap.spec(ReferralSettings(), uow_factory=lambda _pool: lambda: uow)
    [route] = spec.routes
    return (
        Processor(
            route=route,
            consumer_group="g",
            uow_factory=spec.uow_factory(None),
            dead_letters=dead,
            verifier=network_verifier(),
        ),
        uow,
        dead,
    )


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
        """As PgReferrals: referrals of the consent or of the resident (None names none); counts
        the referrals and the history steps that still held some."""
        scrubbed = 0
        for r in self.by_id.values():
            if (consent_id is not None and r.consent_id == consent_id) or (
                participant_ref is not None and r.participant_ref == participant_ref
            ):
                scrubbed += bool(r.sealed_contact or r.need)
                scrubbed += sum(bool(t.reason or t.note or (t.outcome and t.outcome.note)) for t in r.history)
                r.sealed_contact, r.need = None, ""
                r.history = [
                    dataclasses.replace(
                        t, reason="", note="", outcome=t.outcome and dataclasses.replace(t.outcome, note="")
                    )
                    for t in r.history
                ]
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
        self.made_at: dict[str, datetime] = {}

    async def lock(self, participant_ref: str) -> None:
        pass

    async def copies(self, participant_ref: str) -> dict[str, DataKeyCopy]:
        return dict(self.copies_by_ref.get(participant_ref, {}))

    async def put(self, participant_ref: str, copy: DataKeyCopy) -> None:
        if participant_ref not in self.copies_by_ref:
            self.made_at[participant_ref] = datetime.now(UTC)
        self.copies_by_ref.setdefault(participant_ref, {})[copy.holder] = copy

    async def destroy(self, participant_ref: str) -> int:
        self.made_at.pop(participant_ref, None)
        return len(self.copies_by_ref.pop(participant_ref, {}))

    async def key_made_at(self, participant_ref: str) -> datetime | None:
        return self.made_at.get(participant_ref)

    async def held_despite_erasure(self, erased: dict[str, datetime]) -> list[str]:
        return sorted(ref for ref, made in self.made_at.items() if ref in erased and made <= erased[ref])


class FakeSlaClocks:
    def __init__(self) -> None:
        self.running: dict[tuple[str, str], SlaClock] = {}

    async def start(self, clock: SlaClock) -> None:
        self.running[(clock.referral_id, clock.kind)] = copy.copy(clock)

    async def stop(self, referral_id: str, at, kind: str | None = None) -> None:
        for key in [k for k in self.running if k[0] == referral_id and kind in (None, k[1])]:
            del self.running[key]

    async def due(self, now, limit: int) -> list[SlaClock]:
        # Copies, as rows read: a clock changes only when saved.
        due = sorted((c for c in self.running.values() if c.is_due(now)), key=lambda c: c.due_at)[:limit]
        return [copy.copy(c) for c in due]

    async def save(self, clock: SlaClock) -> None:
        if (clock.referral_id, clock.kind) in self.running:  # as PgSlaClocks: a stopped clock stays stopped
            self.running[(clock.referral_id, clock.kind)] = copy.copy(clock)


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
        service = dataclasses.replace(service, hub_ids=tuple(sorted(set(service.hub_ids))))  # PostgreSQL: a set
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

    async def __aenter__(self) -> FakeReferralsUnitOfWork:  # typed as this class, for handlers/ports.py
        await super().__aenter__()
        return self

    async def learn_standings(self, partner_ids) -> None:
        """As in PostgreSQL, the standing the directory itself keeps (its `partner_standing` rows)."""
        partners = self.directory.partners
        self.standings = {p: partners[p].status for p in partner_ids if p in partners}

    async def seed_network(self) -> None:
        partners, hubs, services = read_network()
        for p in partners:
            await self.directory.upsert_partner(p)
        for h in hubs:
            await self.directory.upsert_hub(h)
        for s in services:
            await self.directory.upsert_service(s)
