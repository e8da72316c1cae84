"""Commands on `hubevent.commands.v1`."""

from typing import Literal

from pydantic import AwareDatetime, Field, model_validator

from hubnet_common.envelope import uuid7
from hubnet_common.messages.base import Command, Id, LongText, ShortText

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

    def subject(self) -> str:
        return self.hub_event_id

    @model_validator(mode="after")
    def _ends_after_start(self) -> "ScheduleHubEvent":
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self
