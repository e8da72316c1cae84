"""Commands on `hubevent.commands.v1`."""

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from hubnet_common.sdk.envelope import uuid7
from hubnet_common.sdk.messages.base import Command, Id, LongText, ParticipantRef, ShortText

TOPIC = "hubevent.commands.v1"

HubEventKind = Literal[
    "pop-up", "information-evening", "employer-meetup", "cv-drop-in", "study-guidance", "business-coaching", "other"
]


def new_hub_event_id() -> str:
    return f"E-{uuid7()}"


class ScheduleHubEvent(Command):
    ce_type = "se.hubnet.hubevent.schedule.v1"
    topic = TOPIC

    hub_event_id: Id = Field(default_factory=new_hub_event_id)
    hub_id: Id
    kind: HubEventKind
    title: ShortText
    description: LongText = ""
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    capacity: int = Field(ge=1, le=10_000)
    # RFC 5545 RRULE (FREQ=DAILY|WEEKLY|MONTHLY with COUNT or UNTIL), expanded in Stockholm time.
    rrule: str | None = Field(default=None, max_length=300)
    co_organiser_ids: list[Id] = []
    title_en: ShortText | None = None
    description_en: LongText = ""
    languages: list[Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]] = ["sv"]
    audience: ShortText | None = None  # e.g. "unga vuxna 18–25", "alla"

    def subject(self) -> str:
        return self.hub_event_id

    @model_validator(mode="after")
    def _ends_after_start(self) -> "ScheduleHubEvent":
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class _OccurrenceCommand(Command):
    topic = TOPIC

    hub_event_id: Id
    # Which occurrence; may be left out when the hub event has only one.
    occurrence_starts_at: AwareDatetime | None = None

    def subject(self) -> str:
        return self.hub_event_id


class RegisterForHubEvent(_OccurrenceCommand):
    """A partner registers a resident (by participant_ref); beyond capacity, on the waitlist."""

    ce_type = "se.hubnet.hubevent.register.v1"
    registration_id: Id = Field(default_factory=lambda: f"G-{uuid7()}")
    participant_ref: ParticipantRef
    referral_id: Id | None = None


class CancelRegistration(_OccurrenceCommand):
    ce_type = "se.hubnet.hubevent.cancel-registration.v1"
    participant_ref: ParticipantRef


class RecordAttendance(_OccurrenceCommand):
    """Who came (and who did not) among the registered, plus anonymous walk-ins by number."""

    ce_type = "se.hubnet.hubevent.record-attendance.v1"
    attended: list[ParticipantRef] = []
    no_shows: list[ParticipantRef] = []
    walk_ins: int = Field(default=0, ge=0, le=10_000)


class UpdateHubEvent(Command):
    """New words for a hub event; fields left out stay as they are."""

    ce_type = "se.hubnet.hubevent.update.v1"
    topic = TOPIC

    hub_event_id: Id
    title: ShortText | None = None
    description: LongText | None = None
    title_en: ShortText | None = None
    description_en: LongText | None = None
    audience: ShortText | None = None

    def subject(self) -> str:
        return self.hub_event_id


class RescheduleOccurrence(Command):
    """Move one occurrence to another time; its registrations move with it."""

    ce_type = "se.hubnet.hubevent.reschedule.v1"
    topic = TOPIC

    hub_event_id: Id
    occurrence_starts_at: AwareDatetime | None = None  # left out: the hub event's only occurrence
    starts_at: AwareDatetime
    ends_at: AwareDatetime

    def subject(self) -> str:
        return self.hub_event_id

    @model_validator(mode="after")
    def _ends_after_start(self) -> "RescheduleOccurrence":
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class ChangeHubEventCapacity(Command):
    ce_type = "se.hubnet.hubevent.change-capacity.v1"
    topic = TOPIC

    hub_event_id: Id
    capacity: int = Field(ge=1, le=10_000)

    def subject(self) -> str:
        return self.hub_event_id


class CancelHubEvent(Command):
    ce_type = "se.hubnet.hubevent.cancel.v1"
    topic = TOPIC

    hub_event_id: Id
    reason: ShortText

    def subject(self) -> str:
        return self.hub_event_id
