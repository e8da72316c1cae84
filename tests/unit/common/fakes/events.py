"""The events service on in-memory repositories (adapters/repository.py's behaviour)."""

from __future__ import annotations

import copy

from hubnet_common.testing.directory_copy import FakeDirectoryCopy
from hubnet_common.testing.uow import FakeUnitOfWork
from hubnet_events.domain.hub_event import HubEvent
from hubnet_events.domain.occurrence import Occurrence


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
        self.erased_referrals: set[str] = set()

    async def referral_erased(self, referral_id: str) -> bool:
        return referral_id in self.erased_referrals

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
        made = [
            (o.hub_event_id, o.starts_at, r.participant_ref)
            for o in self.by_key.values()
            for r in o.registrations
            if r.referral_id == referral_id
        ]
        return made[-1] if made else None

    async def upcoming_of(self, participant_ref: str, after) -> list[tuple]:
        return sorted(
            (o.hub_event_id, o.starts_at)
            for o in self.by_key.values()
            if o.starts_at > after and o.find(participant_ref)
        )

    async def erase_participant(self, participant_ref: str, referral_ids: list[str]) -> None:
        self.erased_referrals.update(referral_ids)
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
