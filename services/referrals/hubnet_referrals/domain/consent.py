"""Consent (samtycke): who gave it, to which partners, for what, how, when, until when.

No consent that covers the receiving partner and the purpose at that moment, no referral.
Withdrawal ends the open referrals it covered and erases their personal data; withdrawing the
resident's last consent in force erases the resident (their data key is destroyed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hubnet_common.sdk.errors import Refused
from hubnet_common.sdk.messages.vocabulary import ConsentMethod, Purpose


class ConsentMissing(Refused):
    """No consent with this id: record the resident's consent first."""

    code = "consent-missing"


class ConsentInvalid(Refused):
    """A consent that cannot hold as given (e.g. valid_until not after given_at), or that does not
    cover this partner, purpose or time."""

    code = "consent-invalid"


class ConsentExists(Refused):
    """A consent with this id exists already."""

    code = "consent-exists"


@dataclass
class Consent:
    id: str
    participant_ref: str
    partner_ids: tuple[str, ...]
    purposes: tuple[Purpose, ...]
    method: ConsentMethod
    noted_by: str
    recorded_by_partner_id: str
    given_at: datetime
    valid_until: datetime
    withdrawn_at: datetime | None = None
    withdrawn_noted_by: str | None = None

    @classmethod
    def record(cls, *, recorded_by: str, given_at: datetime, valid_until: datetime, **fields) -> Consent:
        if valid_until <= given_at:
            raise ConsentInvalid("valid_until must be after given_at")
        return cls(recorded_by_partner_id=recorded_by, given_at=given_at, valid_until=valid_until, **fields)

    def check_covers(self, *, participant_ref: str, partner_id: str, purpose: Purpose, at: datetime) -> None:
        """Raise ConsentMissing saying why, unless this consent allows that referral at `at`."""
        if participant_ref != self.participant_ref:
            raise ConsentMissing(f"consent {self.id} was given by another resident")
        if self.withdrawn_at is not None and self.withdrawn_at <= at:
            raise ConsentMissing(f"consent {self.id} was withdrawn")
        if not (self.given_at <= at < self.valid_until):
            raise ConsentMissing(f"consent {self.id} is not valid at {at.isoformat()}")
        if partner_id not in self.partner_ids:
            raise ConsentMissing(f"consent {self.id} does not cover partner {partner_id}")
        if purpose not in self.purposes:
            raise ConsentMissing(f"consent {self.id} does not cover the purpose {purpose.value}")

    def involves(self, partner_id: str) -> bool:
        return partner_id == self.recorded_by_partner_id or partner_id in self.partner_ids

    def is_valid_at(self, at: datetime) -> bool:
        return (self.withdrawn_at is None or at < self.withdrawn_at) and self.given_at <= at < self.valid_until

    def withdraw(self, *, by_partner: str, noted_by: str, at: datetime) -> None:
        if not self.involves(by_partner):
            raise ConsentMissing(f"consent {self.id} was neither recorded by nor given to {by_partner}")
        if self.withdrawn_at is not None:
            raise ConsentInvalid(f"consent {self.id} was already withdrawn")
        self.withdrawn_at, self.withdrawn_noted_by = at, noted_by

    def end_for_erasure(self, *, noted_by: str, at: datetime) -> bool:
        """The resident is erased: a consent still in force ends now. True when it did."""
        if self.withdrawn_at is not None or self.valid_until <= at:
            return False
        self.withdrawn_at, self.withdrawn_noted_by = at, noted_by
        return True
