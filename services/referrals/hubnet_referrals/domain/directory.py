"""The directory (HSDS-shaped, DESIGN §1): partners (organizations), hubs (locations) and the
services partners offer at hubs (service_at_location)."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Partner:
    id: str
    name: str
    active: bool = True
    # X25519 public key (base64) that contact details for this partner are sealed to (DESIGN §6).
    encryption_public_key: str | None = None


@dataclass(frozen=True)
class Hub:
    id: str
    name: str
    active: bool = True


@dataclass(frozen=True)
class Service:
    id: str
    partner_id: str
    name: str
    hub_ids: tuple[str, ...]
    active: bool = True
    available_places: int | None = None  # None: the service does not count places
    capacity_updated_at: datetime | None = None
    ack_within_days: int = 2  # working days to acknowledge a referral
    answer_within_days: int = 5  # working days from acknowledgement to accept or reject
    eligibility: str = ""
    languages: tuple[str, ...] = ("sv",)
    contact_email: str = ""
    contact_phone: str = ""

    def offered_at(self, hub_id: str) -> bool:
        return hub_id in self.hub_ids

    @property
    def is_full(self) -> bool:
        return self.available_places is not None and self.available_places <= 0
