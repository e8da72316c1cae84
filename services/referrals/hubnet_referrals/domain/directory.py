"""The directory (HSDS-shaped): partners (organizations), hubs (locations) and the
services partners offer at hubs (service_at_location)."""

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from hubnet_common.sdk.errors import Refused
from hubnet_common.sdk.signing import PublicSigningKey, proves_possession

# How long a partner's previous signing keys stay valid after it rotates, unless it says.
ROTATION_OVERLAP = timedelta(days=1)


class KeyNotProven(Refused):
    """A key rotation whose proof is not the new key's signature for this partner."""

    code = "key-not-proven"


# A partner's standing in the network (docs/adr/0015-onboarding-as-data.md): an active partner's
# commands count; a suspended one's are refused until it is resumed; a removed one is gone for good.
ACTIVE, SUSPENDED, REMOVED = "active", "suspended", "removed"
STANDINGS = (ACTIVE, SUSPENDED, REMOVED)


class PartnerRemoved(Refused):
    """A removed partner does not come back under the same id: its keys and topic are gone."""

    code = "partner-removed"


@dataclass(frozen=True)
class Partner:
    id: str
    name: str
    active: bool = True
    # X25519 public key (base64) its copies of data keys are sealed to (docs/adr/0006-crypto-shredding.md).
    encryption_public_key: str | None = None
    # The Ed25519 keys its messages are signed with (docs/adr/0005-signed-form.md), oldest first.
    signing_keys: tuple[PublicSigningKey, ...] = ()
    status: str = ACTIVE  # one of STANDINGS; `active` says the same for older readers

    def standing(self, status: str) -> "Partner":
        """The partner suspended, resumed or removed; a removed one stays removed."""
        if status not in STANDINGS:
            raise ValueError(f"a partner's standing is one of {', '.join(STANDINGS)}, not {status!r}")
        if self.status == REMOVED and status != REMOVED:
            raise PartnerRemoved(f"{self.id} was removed from the network; admit it under a new id")
        return replace(self, status=status, active=status == ACTIVE)

    def enrol(self, public_key: str) -> "Partner":
        """The partner's first signing key, given by the operators; later ones it rotates in itself."""
        return self if self.signing_keys else replace(self, signing_keys=(PublicSigningKey(self.source, public_key),))

    def rotate_signing_key(
        self, public_key: str, proof: str, at: datetime, previous_valid_until: datetime | None
    ) -> "Partner":
        """Add a key valid from `at`; the others stay valid until `previous_valid_until` (default
        a day on), so what is already signed and on its way still counts. Rotating to a key the
        partner already has changes nothing. `proof` is the new key's signature naming this
        partner: without it, anyone could name a key it does not hold."""
        if not proves_possession(public_key, self.id, proof):
            raise KeyNotProven(f"the rotation does not prove that {self.id} holds the new key")
        new = PublicSigningKey(self.source, public_key, valid_from=at)
        if any(key.id == new.id for key in self.signing_keys):
            return self
        until = previous_valid_until or at + ROTATION_OVERLAP
        kept = tuple(
            key if key.valid_until is not None and key.valid_until <= until else replace(key, valid_until=until)
            for key in self.signing_keys
        )
        return replace(self, signing_keys=(*kept, new))

    @property
    def source(self) -> str:
        return f"urn:hubnet:partner:{self.id}"


@dataclass(frozen=True)
class Hub:
    id: str
    name: str
    active: bool = True


@dataclass(frozen=True)
class Schedule:
    """When a service is open: an RFC 5545 recurrence (freq, interval, byday), local time at the
    hub; at one hub, or (hub_id None) at every hub of the service."""

    byday: str
    opens_at: str  # HH:MM
    closes_at: str
    hub_id: str | None = None
    freq: str = "WEEKLY"
    interval: int = 1
    valid_from: date | None = None
    valid_to: date | None = None
    description: str = ""


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
    needs: tuple[str, ...] = ()  # terms of domain/hsds.py's taxonomy
    description: str = ""
    alternate_name: str = ""
    url: str = ""
    application_process: str = ""
    interpretation_services: str = ""
    fees_description: str = ""
    minimum_age: int | None = None
    maximum_age: int | None = None
    required_documents: tuple[str, ...] = ()
    schedules: tuple[Schedule, ...] = ()

    def offered_at(self, hub_id: str) -> bool:
        return hub_id in self.hub_ids

    @property
    def is_full(self) -> bool:
        return self.available_places is not None and self.available_places <= 0
