"""A referral: one partner refers a resident to another partner's service (DESIGN §4).

Pure domain: no I/O. Every change of status is a `Transition` kept in the history; nothing is
ever removed from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from hubnet_common.errors import Refused

from hubnet_referrals.domain.directory import Partner, Service


class Status(StrEnum):
    REQUESTED = "requested"


class ServiceUnknown(Refused):
    code = "service-unknown"


class ServiceInactive(Refused):
    code = "service-inactive"


class ServiceNotAtHub(Refused):
    code = "service-not-at-hub"


class SenderUnknown(Refused):
    code = "sender-unknown"


class ReferralExists(Refused):
    code = "referral-exists"


@dataclass(frozen=True)
class Transition:
    version: int
    status: Status
    actor_partner_id: str
    at: datetime
    reason: str = ""


@dataclass
class Referral:
    id: str
    sender_partner_id: str
    receiver_partner_id: str
    service_id: str
    hub_id: str
    participant_ref: str
    purpose: str
    need: str
    consent_id: str | None
    sealed_contact: str | None
    status: Status
    requested_at: datetime
    history: list[Transition] = field(default_factory=list)

    @property
    def version(self) -> int:
        return len(self.history)

    @classmethod
    def request(
        cls,
        *,
        referral_id: str,
        sender: Partner | None,
        sender_id: str,
        service: Service | None,
        service_id: str,
        hub_id: str,
        participant_ref: str,
        purpose: str,
        need: str,
        consent_id: str | None,
        sealed_contact: str | None,
        at: datetime,
    ) -> Referral:
        """A new referral in `requested`, if the sender and the service allow it."""
        if sender is None or not sender.active:
            raise SenderUnknown(f"{sender_id or 'the sender'} is not a partner in the directory")
        if service is None:
            raise ServiceUnknown(f"there is no service {service_id!r} in the directory")
        if not service.active:
            raise ServiceInactive(f"the service {service.name!r} is not taking referrals")
        if not service.offered_at(hub_id):
            raise ServiceNotAtHub(f"the service {service.name!r} is not offered at hub {hub_id!r}")
        referral = cls(
            id=referral_id,
            sender_partner_id=sender.id,
            receiver_partner_id=service.partner_id,
            service_id=service.id,
            hub_id=hub_id,
            participant_ref=participant_ref,
            purpose=purpose,
            need=need,
            consent_id=consent_id,
            sealed_contact=sealed_contact,
            status=Status.REQUESTED,
            requested_at=at,
        )
        referral.history.append(Transition(1, Status.REQUESTED, sender.id, at))
        return referral
