"""One occurrence of a hub event and who comes to it: registrations within capacity, a waitlist
in arrival order, and attendance. Pure domain, no I/O.

A registration beyond capacity goes on the waitlist; a cancellation frees a place, and the first
on the waitlist takes it (a promotion). Capacity may grow (promoting from the waitlist) but never
shrink below the registrations already confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from hubnet_common.sdk.errors import Refused


class AlreadyRegistered(Refused):
    """The resident is registered for this occurrence already."""

    code = "already-registered"


class NotRegistered(Refused):
    """No such registration for this occurrence."""

    code = "not-registered"


class RegistrationIdTaken(Refused):
    """A registration with this id exists already."""

    code = "registration-id-taken"


class OccurrenceClosed(Refused):
    """The occurrence is cancelled or over."""

    code = "occurrence-closed"


class CapacityBelowRegistrations(Refused):
    """The new capacity is below the registrations already confirmed."""

    code = "capacity-below-registrations"


@dataclass
class Registration:
    id: str
    participant_ref: str | None  # None once the resident is erased
    status: str  # registered | waitlisted | cancelled
    at: datetime
    referral_id: str | None = None
    attendance: str | None = None  # attended | no-show
    seq: int | None = None  # arrival order, given when stored
    registered_by: str | None = None  # the partner that registered the resident (None: before migration 0007)

    @property
    def active(self) -> bool:
        return self.status in ("registered", "waitlisted")


@dataclass
class Occurrence:
    hub_event_id: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    status: str = "scheduled"  # scheduled | cancelled
    walk_ins: int = 0
    registrations: list[Registration] = field(default_factory=list)

    @property
    def registered(self) -> list[Registration]:
        return [r for r in self.registrations if r.status == "registered"]

    @property
    def waitlist(self) -> list[Registration]:
        return [r for r in self.registrations if r.status == "waitlisted"]  # kept in arrival order

    def find(self, participant_ref: str) -> Registration | None:
        return next((r for r in self.registrations if r.participant_ref == participant_ref and r.active), None)

    def holds(self, registration_id: str, participant_ref: str, by: str | None) -> bool:
        """Whether this registration stands as it would be made again: a repeat of it changes nothing."""
        return any(
            r.id == registration_id and r.active and r.participant_ref == participant_ref and r.registered_by == by
            for r in self.registrations
        )

    def register(
        self,
        registration_id: str,
        participant_ref: str,
        at: datetime,
        referral_id: str | None = None,
        *,
        by: str | None = None,
    ) -> Registration:
        """A place if there is one, else the end of the waitlist. A registration id is used once:
        a cancelled registration is never brought back (a new one needs a new id)."""
        if any(r.id == registration_id for r in self.registrations):
            raise RegistrationIdTaken(f"registration id {registration_id} is taken: a new registration needs a new id")
        if self.status != "scheduled":
            raise OccurrenceClosed(f"{self.hub_event_id} on {self.starts_at.isoformat()} is {self.status}")
        if self.find(participant_ref):
            raise AlreadyRegistered(
                f"the resident is already registered for {self.hub_event_id} on {self.starts_at.isoformat()}"
            )
        status = "registered" if len(self.registered) < self.capacity else "waitlisted"
        registration = Registration(registration_id, participant_ref, status, at, referral_id, registered_by=by)
        self.registrations.append(registration)
        return registration

    def cancel(self, participant_ref: str) -> tuple[Registration, Registration | None]:
        """Cancel a registration; returns it and whoever was promoted to the freed place."""
        registration = self.find(participant_ref)
        if registration is None:
            raise NotRegistered(
                f"the resident is not registered for {self.hub_event_id} on {self.starts_at.isoformat()}"
            )
        freed = registration.status == "registered"
        registration.status = "cancelled"
        return registration, self._promote_one() if freed else None

    def change_capacity(self, capacity: int) -> list[Registration]:
        """Set a new capacity; returns those promoted from the waitlist to the new places."""
        if capacity < len(self.registered):
            raise CapacityBelowRegistrations(
                f"{len(self.registered)} residents are registered for {self.starts_at.isoformat()}; "
                f"capacity cannot be {capacity}"
            )
        self.capacity = capacity
        promoted = []
        while (one := self._promote_one()) is not None:
            promoted.append(one)
        return promoted

    def record_attendance(self, attended: list[str], no_shows: list[str], walk_ins: int) -> None:
        for refs, mark in ((attended, "attended"), (no_shows, "no-show")):
            for ref in refs:
                registration = self.find(ref)
                if registration is None or registration.status != "registered":
                    raise NotRegistered(f"a resident marked {mark} has no place at this occurrence")
                registration.attendance = mark
        self.walk_ins = walk_ins

    def move(self, starts_at: datetime, ends_at: datetime) -> None:
        if self.status != "scheduled":
            raise OccurrenceClosed(f"{self.hub_event_id} on {self.starts_at.isoformat()} is {self.status}")
        self.starts_at, self.ends_at = starts_at, ends_at

    def close(self) -> int:
        """The hub event is cancelled: so is this occurrence and everyone's place; returns how many."""
        self.status = "cancelled"
        active = [r for r in self.registrations if r.active]
        for registration in active:
            registration.status = "cancelled"
        return len(active)

    def _promote_one(self) -> Registration | None:
        if len(self.registered) >= self.capacity or not self.waitlist:
            return None
        first = self.waitlist[0]
        first.status = "registered"
        return first
