"""A referral: one partner refers a resident to another partner's service.

Pure domain, no I/O. The lifecycle follows the HL7 FHIR Task codes of closed-loop referrals:

    requested ─► received ─► accepted ─► in-progress ─► completed (with outcome)
        │            │  └──► rejected (reason)         ├─► on-hold ⇄ in-progress
        │            │                                  └─► failed (reason)
        └────────────┴──► cancelled (reason)            any state ─► entered-in-error (sender)

A closed case (completed, failed, rejected) can be reopened by the receiver with a note. The
sender creates, cancels and marks entered-in-error; the receiver does the rest. Withdrawn consent
cancels any open referral it covered. Every change is a `Transition` appended to the history:
nothing is ever removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from hubnet_common.sdk.errors import Refused
from hubnet_common.sdk.lifecycle import STEPS, Action, Step
from hubnet_common.sdk.messages.vocabulary import OPEN, MainActivity, ReasonCode, Status
from hubnet_referrals.domain.directory import Partner, Service


class Role(StrEnum):
    SENDER = "sender"
    RECEIVER = "receiver"
    NETWORK = "network"  # the referrals service itself, e.g. when consent is withdrawn


@dataclass(frozen=True)
class Rule:
    sources: frozenset[Status]
    target: Status
    role: Role
    needs_reason: bool = False
    needs_note: bool = False
    needs_outcome: bool = False


def _rule(step: Step) -> Rule:
    role = Role(step.by.value) if step.by else Role.NETWORK
    return Rule(step.sources, step.target, role, step.needs_reason, step.needs_note, step.needs_outcome)


# Each step of hubnet_common/sdk/lifecycle.py after the request, by action: from which statuses, to which, who may.
RULES: dict[Action, Rule] = {step.action: _rule(step) for step in STEPS if step.action is not Action.REQUEST}
# Every (from, to) pair the diagram allows; nothing else may ever appear in a history.
EDGES = frozenset((source, rule.target) for rule in RULES.values() for source in rule.sources)


class NotPermitted(Refused):
    """The sender may not take this step: not the referral's sender or receiver, or the other one's step."""

    code = "not-permitted"


class InvalidTransition(Refused):
    """The step does not lead from the referral's current status (docs/contract/fhir.md has the table)."""

    code = "invalid-transition"


class StaleVersion(Refused):
    """expected_version is not the referral's version: it changed since you read it."""

    code = "stale-version"


class DetailMissing(Refused):
    """The step needs a reason code, a note or an outcome that the command does not carry."""

    code = "detail-missing"


class ServiceUnknown(Refused):
    """No service with this id in the directory."""

    code = "service-unknown"


class ServiceInactive(Refused):
    """The service takes no referrals now."""

    code = "service-inactive"


class ServiceFull(Refused):
    """The service has no capacity left."""

    code = "service-full"


class ServiceNotAtHub(Refused):
    """The service is not offered at this hub."""

    code = "service-not-at-hub"


class SenderUnknown(Refused):
    """The sender (ce_source) is not a partner in the directory."""

    code = "sender-unknown"


class ReferralExists(Refused):
    """A referral with this id exists already."""

    code = "referral-exists"


class ReferralUnknown(Refused):
    """No referral with this id."""

    code = "referral-unknown"


@dataclass(frozen=True)
class Outcome:
    main_activity: MainActivity
    public_support_continues: bool | None
    note: str = ""


@dataclass(frozen=True)
class Transition:
    version: int
    action: Action
    status: Status
    actor_partner_id: str
    at: datetime
    reason_code: ReasonCode | None = None
    reason: str = ""
    note: str = ""
    outcome: Outcome | None = None
    noted_by: str | None = None  # the acting partner's staff member, as that partner names them


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

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

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
        if service.is_full:
            raise ServiceFull(f"the service {service.name!r} has no places available right now")
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
        referral.history.append(Transition(1, Action.REQUEST, Status.REQUESTED, sender.id, at))
        return referral

    def roles_of(self, partner_id: str) -> set[Role]:
        roles = set()
        if partner_id == self.sender_partner_id:
            roles.add(Role.SENDER)
        if partner_id == self.receiver_partner_id:
            roles.add(Role.RECEIVER)
        return roles

    def apply(
        self,
        action: Action,
        *,
        actor: str,
        at: datetime,
        role: Role | None = None,
        expected_version: int | None = None,
        reason_code: ReasonCode | None = None,
        reason: str = "",
        note: str = "",
        outcome: Outcome | None = None,
        noted_by: str | None = None,
    ) -> Transition:
        """Change status as `actor` (a partner id; or the network, with `role=Role.NETWORK`)."""
        rule = RULES[action]
        if rule.role not in ({role} if role else self.roles_of(actor)):
            whose = {Role.SENDER: self.sender_partner_id, Role.RECEIVER: self.receiver_partner_id}.get(rule.role)
            raise NotPermitted(
                f"only the {rule.role.value} ({whose or 'network'}) may {action.value} "
                f"referral {self.id}; {actor} may not"
            )
        if expected_version is not None and expected_version != self.version:
            raise StaleVersion(
                f"referral {self.id} is at version {self.version}, the command expected version {expected_version}"
            )
        if self.status not in rule.sources:
            allowed = ", ".join(sorted(s.value for s in rule.sources))
            raise InvalidTransition(f"referral {self.id} is {self.status.value}; {action.value} needs {allowed}")
        if rule.needs_reason and reason_code is None:
            raise DetailMissing(f"{action.value} needs a reason code")
        if rule.needs_note and not note.strip():
            raise DetailMissing(f"{action.value} needs a note saying why")
        if rule.needs_outcome and outcome is None:
            raise DetailMissing(f"{action.value} needs the outcome")
        transition = Transition(
            self.version + 1,
            action,
            rule.target,
            actor,
            at,
            reason_code,
            reason,
            note,
            outcome if rule.needs_outcome else None,
            noted_by,
        )
        self.history.append(transition)
        self.status = rule.target
        return transition
