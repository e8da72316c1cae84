"""Facts on `hubevent.events.v1`, published by the events service."""

from datetime import datetime

from hubnet_common.sdk.messages.base import Fact

TOPIC = "hubevent.events.v1"


class HubEventScheduled(Fact):
    ce_type = "se.hubnet.hubevent.scheduled.v1"
    topic = TOPIC

    hub_event_id: str
    version: int
    hub_id: str
    organiser_partner_id: str
    kind: str
    title: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    rrule: str | None = None
    occurrences: int = 1

    def subject(self) -> str:
        return self.hub_event_id


class _OccurrenceFact(Fact):
    topic = TOPIC

    hub_event_id: str
    hub_id: str
    occurrence_starts_at: datetime

    def subject(self) -> str:
        return self.hub_event_id


class RegistrationConfirmed(_OccurrenceFact):
    ce_type = "se.hubnet.hubevent.registration-confirmed.v1"
    registration_id: str
    referral_id: str | None = None
    registered: int
    capacity: int


class RegistrationWaitlisted(_OccurrenceFact):
    ce_type = "se.hubnet.hubevent.registration-waitlisted.v1"
    registration_id: str
    referral_id: str | None = None
    waitlist_position: int


class RegistrationCancelled(_OccurrenceFact):
    ce_type = "se.hubnet.hubevent.registration-cancelled.v1"
    registration_id: str
    was: str  # registered | waitlisted


class WaitlistPromoted(_OccurrenceFact):
    """Someone on the waitlist got the place a cancellation (or more capacity) freed."""

    ce_type = "se.hubnet.hubevent.waitlist-promoted.v1"
    registration_id: str
    referral_id: str | None = None


class AttendanceRecorded(_OccurrenceFact):
    ce_type = "se.hubnet.hubevent.attendance-recorded.v1"
    registered: int
    attended: int
    no_shows: int
    walk_ins: int


class HubEventUpdated(Fact):
    ce_type = "se.hubnet.hubevent.updated.v1"
    topic = TOPIC

    hub_event_id: str
    hub_id: str
    version: int
    title: str
    changed: list[str]

    def subject(self) -> str:
        return self.hub_event_id


class OccurrenceRescheduled(Fact):
    ce_type = "se.hubnet.hubevent.rescheduled.v1"
    topic = TOPIC

    hub_event_id: str
    hub_id: str
    version: int
    title: str
    was_starts_at: datetime
    starts_at: datetime
    ends_at: datetime
    registered: int

    def subject(self) -> str:
        return self.hub_event_id


class HubEventCapacityChanged(Fact):
    ce_type = "se.hubnet.hubevent.capacity-changed.v1"
    topic = TOPIC

    hub_event_id: str
    hub_id: str
    version: int
    capacity: int

    def subject(self) -> str:
        return self.hub_event_id


class HubEventCancelled(Fact):
    ce_type = "se.hubnet.hubevent.cancelled.v1"
    topic = TOPIC

    hub_event_id: str
    hub_id: str
    title: str
    version: int
    reason: str
    registrations_cancelled: int

    def subject(self) -> str:
        return self.hub_event_id


class HubEventReminder(_OccurrenceFact):
    """An occurrence is coming up (the lead time is a setting of the events service)."""

    ce_type = "se.hubnet.hubevent.reminder-due.v1"
    organiser_partner_id: str
    title: str
    registered: int
    waitlisted: int
    capacity: int
