"""What the handlers need of storage: the repositories and the unit of work, as protocols.

adapters/uow.py (PostgreSQL) and tests/unit/common/fakes/events.py (memory) both satisfy them;
bootstrap.py picks the adapter. Only what a handler calls is here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, Self

from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.messages.base import Message
from hubnet_common.service.directory_copy import Known
from hubnet_events.domain.hub_event import HubEvent
from hubnet_events.domain.occurrence import Occurrence


class HubEvents(Protocol):
    async def get(self, hub_event_id: str) -> HubEvent | None: ...

    async def get_for_update(self, hub_event_id: str) -> HubEvent | None:
        """The hub event, locked until the unit of work ends."""
        ...

    async def add(self, event: HubEvent) -> None: ...

    async def save(self, event: HubEvent) -> None:
        """Store the changes to a hub event added before."""
        ...


class Occurrences(Protocol):
    async def add(self, occurrences: list[Occurrence]) -> None: ...

    async def starts(self, hub_event_id: str) -> list[datetime]:
        """When the hub event takes place, earliest first."""
        ...

    async def get(self, hub_event_id: str, starts_at: datetime) -> Occurrence | None:
        """The occurrence with its registrations in arrival order, locked until the unit of work ends."""
        ...

    async def save(self, occurrence: Occurrence) -> None:
        """Store its capacity, status, walk-ins and registrations (new ones, and status and attendance)."""
        ...

    async def move(self, occurrence: Occurrence, was_starts_at: datetime) -> None:
        """Store the occurrence's new times; its registrations go with it."""
        ...

    async def to_remind(self, now: datetime, until: datetime, limit: int) -> list[tuple[HubEvent, Occurrence]]:
        """Scheduled occurrences starting after `now`, until `until`, not reminded of yet, earliest first."""
        ...

    async def reminded(self, occurrence: Occurrence, at: datetime) -> None: ...

    async def registration_of_referral(self, referral_id: str) -> tuple[str, datetime, str | None] | None:
        """(hub event, occurrence start, participant_ref) of the latest registration a referral made."""
        ...

    async def registration_place(self, registration_id: str) -> tuple[str, datetime] | None:
        """(hub event, occurrence start) of the registration with this id, whatever its status."""
        ...

    async def upcoming_of(self, participant_ref: str, after: datetime) -> list[tuple[str, datetime]]:
        """(hub event, occurrence start) where the resident holds a place or waits after `after`,
        ordered by start, then hub event."""
        ...

    async def erase_participant(self, participant_ref: str, referral_ids: list[str]) -> None:
        """Drop the resident's reference from all their registrations; remember their referrals."""
        ...

    async def referral_erased(self, referral_id: str) -> bool: ...


class Directory(Protocol):
    """This service's copy of the directory (hubnet_common/service/directory_copy.py)."""

    async def hub(self, hub_id: str) -> Known | None: ...

    async def partner(self, partner_id: str) -> Known | None: ...


class UnitOfWork(Protocol):
    """One transaction: the repositories, and the messages to publish once it commits. Leaving it
    without `commit` undoes everything done in it."""

    @property
    def hub_events(self) -> HubEvents: ...

    @property
    def occurrences(self) -> Occurrences: ...

    @property
    def directory(self) -> Directory: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc_info: object) -> None: ...

    def emit(self, message: Message, *, caused_by: Envelope | None, topic: str | None = None) -> Envelope: ...

    async def commit(self) -> None: ...
