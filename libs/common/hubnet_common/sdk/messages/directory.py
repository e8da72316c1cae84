"""The directory on the log-compacted `directory.v1` topic (HSDS-shaped).

The key is `<kind>:<id>`, so compaction keeps the latest entry of every partner, hub and service.
"""

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from hubnet_common.sdk.messages.base import Fact, Id, LongText

# HH:MM, local time at the hub (Europe/Stockholm).
CLOCK_TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
ClockTime = Annotated[str, StringConstraints(pattern=CLOCK_TIME)]
# iCalendar BYDAY (RFC 5545): "MO,WE"; monthly ones may say which, "1TU" or "-1FR".
_DAY = r"[+-]?[1-5]?(MO|TU|WE|TH|FR|SA|SU)"
WEEKDAYS = rf"^{_DAY}(,{_DAY})*$"
Weekdays = Annotated[str, StringConstraints(pattern=WEEKDAYS)]

TOPIC = "directory.v1"


class SigningKeyEntry(BaseModel):
    """One of a partner's Ed25519 message-signing keys (base64), valid from/until (None: open)."""

    model_config = ConfigDict(frozen=True)

    public_key: str
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None


class Schedule(BaseModel):
    """When a service is open (HSDS `schedule`, an RFC 5545 recurrence): weekly or monthly on
    `byday`, from `opens_at` to `closes_at`, at one of its hubs or (hub_id None) at all of them."""

    model_config = ConfigDict(frozen=True)

    hub_id: Id | None = None
    freq: Literal["WEEKLY", "MONTHLY"] = "WEEKLY"
    interval: int = Field(default=1, ge=1, le=12)  # every n weeks or months
    byday: Weekdays
    opens_at: ClockTime
    closes_at: ClockTime
    valid_from: date | None = None
    valid_to: date | None = None
    description: LongText = ""  # e.g. "drop in, no appointment needed"


class PartnerUpserted(Fact):
    ce_type = "se.hubnet.partner.upserted.v1"
    topic = TOPIC

    partner_id: str
    name: str
    active: bool = True
    encryption_public_key: str | None = None
    # The keys its messages are signed with; a rotated-out key stays until its valid_until.
    signing_keys: list[SigningKeyEntry] = []
    # Its standing: an active partner's commands count, a suspended or removed one's are refused
    # (`partner-suspended`, `partner-removed`). None (an older entry): active as `active` says.
    status: Literal["active", "suspended", "removed"] | None = None

    @property
    def standing(self) -> str:
        return self.status or ("active" if self.active else "suspended")

    def subject(self) -> str:
        return f"partner:{self.partner_id}"


class HubUpserted(Fact):
    ce_type = "se.hubnet.hub.upserted.v1"
    topic = TOPIC

    hub_id: str
    name: str
    active: bool = True

    def subject(self) -> str:
        return f"hub:{self.hub_id}"


class ServiceUpserted(Fact):
    ce_type = "se.hubnet.service.upserted.v1"
    topic = TOPIC

    service_id: str
    partner_id: str
    name: str
    hub_ids: list[str]
    active: bool = True
    available_places: int | None = None
    capacity_updated_at: datetime | None = None
    ack_within_days: int = 2
    answer_within_days: int = 5
    eligibility: str = ""
    languages: list[str] = ["sv"]
    contact_email: str = ""
    contact_phone: str = ""
    # How partners describe the service (HSDS `service`), and the needs (taxonomy terms) it meets.
    description: str = ""
    alternate_name: str = ""
    url: str = ""
    application_process: str = ""
    interpretation_services: str = ""
    fees_description: str = ""
    minimum_age: int | None = None
    maximum_age: int | None = None
    required_documents: list[str] = []
    schedules: list[Schedule] = []
    needs: list[str] = []

    def subject(self) -> str:
        return f"service:{self.service_id}"
