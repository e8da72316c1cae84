"""A hub event: an activity a partner runs at a hub (pop-up, information evening, employer meetup…).

Pure domain: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hubnet_common.sdk.errors import Refused
from hubnet_common.service.directory_copy import Known


class HubUnknown(Refused):
    """No hub with this id in the directory."""

    code = "hub-unknown"


class OrganiserUnknown(Refused):
    """The organiser (ce_source) is not a partner in the directory."""

    code = "organiser-unknown"


class HubEventExists(Refused):
    """A hub event with this id exists already."""

    code = "hub-event-exists"


class HubEventUnknown(Refused):
    """No hub event with this id."""

    code = "hub-event-unknown"


class HubEventClosed(Refused):
    """The hub event is cancelled."""

    code = "hub-event-cancelled"


class NotOrganiser(Refused):
    """Only the hub event's organiser may change it."""

    code = "not-permitted"


@dataclass
class HubEvent:
    id: str
    hub_id: str
    organiser_partner_id: str
    kind: str
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    status: str
    version: int
    rrule: str | None = None
    cancel_reason: str | None = None
    co_organiser_ids: tuple[str, ...] = ()
    title_en: str | None = None
    description_en: str = ""
    languages: tuple[str, ...] = ("sv",)
    audience: str | None = None

    def organised_by(self, partner_id: str | None) -> bool:
        return partner_id is not None and (
            partner_id == self.organiser_partner_id or partner_id in self.co_organiser_ids
        )

    def _by_organiser(self, partner_id: str | None) -> None:
        if not self.organised_by(partner_id):
            raise NotOrganiser(f"only the organisers ({self.organiser_partner_id}) may change {self.id}")
        if self.status == "cancelled":
            raise HubEventClosed(f"{self.id} was cancelled: {self.cancel_reason}")

    def update(self, changes: dict, *, by: str | None) -> list[str]:
        """New words (title, description, …); returns the names of the fields that changed."""
        self._by_organiser(by)
        changed = [name for name, value in changes.items() if value is not None and getattr(self, name) != value]
        for name in changed:
            setattr(self, name, changes[name])
        if changed:
            self.version += 1
        return changed

    def moved(self, *, by: str | None) -> None:
        """One of its occurrences was moved."""
        self._by_organiser(by)
        self.version += 1

    def change_capacity(self, capacity: int, *, by: str | None) -> None:
        self._by_organiser(by)
        self.capacity, self.version = capacity, self.version + 1

    def cancel(self, reason: str, *, by: str | None) -> None:
        self._by_organiser(by)
        self.status, self.cancel_reason, self.version = "cancelled", reason, self.version + 1

    @classmethod
    def schedule(
        cls,
        *,
        hub_event_id: str,
        hub: Known | None,
        hub_id: str,
        organiser: Known | None,
        organiser_id: str,
        kind: str,
        title: str,
        description: str,
        starts_at: datetime,
        ends_at: datetime,
        capacity: int,
        rrule: str | None = None,
        **details,
    ) -> HubEvent:
        if organiser is None or not organiser.active:
            raise OrganiserUnknown(f"{organiser_id or 'the sender'} is not a partner in the directory")
        if hub is None or not hub.active:
            raise HubUnknown(f"there is no active hub {hub_id!r} in the directory")
        return cls(
            id=hub_event_id,
            hub_id=hub.id,
            organiser_partner_id=organiser.id,
            kind=kind,
            title=title,
            description=description,
            starts_at=starts_at,
            ends_at=ends_at,
            capacity=capacity,
            status="scheduled",
            version=1,
            rrule=rrule,
            **details,
        )
