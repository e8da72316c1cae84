"""The events service on in-memory repositories (adapters/repository.py's behaviour, checked by
tests/contract/events/test_repositories.py)."""

from __future__ import annotations

import copy
import dataclasses
from datetime import datetime

from hubnet_common.testing.directory_copy import FakeDirectoryCopy
from hubnet_common.testing.uow import FakeUnitOfWork
from hubnet_events.adapters.repository import CHANGEABLE
from hubnet_events.domain.hub_event import HubEvent
from hubnet_events.domain.occurrence import Occurrence


class FakeHubEvents:
    """Like the table, it keeps copies: what a caller changes is stored only by `save`."""

    def __init__(self) -> None:
        self.by_id: dict[str, HubEvent] = {}

    async def get(self, hub_event_id: str) -> HubEvent | None:
        return copy.deepcopy(self.by_id.get(hub_event_id))

    async def add(self, event: HubEvent) -> None:
        self.by_id[event.id] = copy.deepcopy(event)

    async def get_for_update(self, hub_event_id: str) -> HubEvent | None:
        return await self.get(hub_event_id)

    async def save(self, event: HubEvent) -> None:
        """An UPDATE of the changeable columns: nothing for an event never added."""
        stored = self.by_id.get(event.id)
        if stored is not None:
            self.by_id[event.id] = dataclasses.replace(
                stored, **{c: copy.deepcopy(getattr(event, c)) for c in CHANGEABLE}
            )


class FakeOccurrences:
    def __init__(self, hub_events: FakeHubEvents) -> None:
        self.hub_events = hub_events  # to_remind returns each occurrence's event
        self.by_key: dict[tuple[str, datetime], Occurrence] = {}
        self.reminded_at: dict[tuple[str, datetime], datetime] = {}
        self.erased_referrals: set[str] = set()
        self.last_seq = 0  # registrations.seq: arrival order across all occurrences

    async def referral_erased(self, referral_id: str) -> bool:
        return referral_id in self.erased_referrals

    async def add(self, occurrences: list[Occurrence]) -> None:
        for o in occurrences:
            await self.save(o)

    async def starts(self, hub_event_id: str) -> list[datetime]:
        return sorted(start for event_id, start in self.by_key if event_id == hub_event_id)

    async def get(self, hub_event_id: str, starts_at: datetime) -> Occurrence | None:
        return copy.deepcopy(self.by_key.get((hub_event_id, starts_at)))

    async def save(self, occurrence: Occurrence) -> None:
        """New registrations (no seq yet) get one; like the table's primary key, an id stored
        before (here or at another occurrence) is never taken over."""
        key = (occurrence.hub_event_id, occurrence.starts_at)
        for r in occurrence.registrations:
            if r.seq is None:
                if await self.registration_place(r.id) is not None:
                    raise ValueError(f"duplicate key: registration {r.id}")
                self.last_seq += 1
                r.seq = self.last_seq
        self.by_key[key] = copy.deepcopy(occurrence)

    async def registration_place(self, registration_id: str) -> tuple[str, datetime] | None:
        return next(
            (key for key, o in self.by_key.items() for r in o.registrations if r.id == registration_id and r.seq),
            None,
        )

    async def move(self, occurrence: Occurrence, was_starts_at: datetime) -> None:
        was = (occurrence.hub_event_id, was_starts_at)
        del self.by_key[was]
        if was in self.reminded_at:
            self.reminded_at[(occurrence.hub_event_id, occurrence.starts_at)] = self.reminded_at.pop(was)
        await self.save(occurrence)

    async def to_remind(self, now: datetime, until: datetime, limit: int) -> list[tuple[HubEvent, Occurrence]]:
        due = sorted(
            (o for key, o in self.by_key.items() if key not in self.reminded_at and o.status == "scheduled"),
            key=lambda o: o.starts_at,
        )
        due = [o for o in due if now < o.starts_at <= until][:limit]
        return [(copy.deepcopy(self.hub_events.by_id[o.hub_event_id]), copy.deepcopy(o)) for o in due]

    async def reminded(self, occurrence: Occurrence, at: datetime) -> None:
        key = (occurrence.hub_event_id, occurrence.starts_at)
        if key in self.by_key:
            self.reminded_at[key] = at

    async def registration_of_referral(self, referral_id: str) -> tuple[str, datetime, str | None] | None:
        made = [
            (r.seq or 0, (o.hub_event_id, o.starts_at, r.participant_ref))
            for o in self.by_key.values()
            for r in o.registrations
            if r.referral_id == referral_id
        ]
        return max(made, key=lambda m: m[0])[1] if made else None

    async def upcoming_of(self, participant_ref: str, after: datetime) -> list[tuple[str, datetime]]:
        found = [o for o in self.by_key.values() if o.starts_at > after and o.find(participant_ref)]
        return [(o.hub_event_id, o.starts_at) for o in sorted(found, key=lambda o: (o.starts_at, o.hub_event_id))]

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
        self.occurrences = FakeOccurrences(self.hub_events)
        self.directory = FakeDirectoryCopy()

    async def __aenter__(self) -> FakeEventsUnitOfWork:
        await super().__aenter__()
        return self

    def _restore(self, state: dict) -> None:
        super()._restore(state)
        self.occurrences.hub_events = self.hub_events  # the restored copy kept a copy of its own
