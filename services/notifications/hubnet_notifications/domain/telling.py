"""Who is told of which fact, and in which words: one row per kind of fact, read by the one
handler in handlers/notify.py.

- a new referral: the receiving partner's staff at that hub;
- an answer or any later step: the sending partner's staff at that hub (the loop closes);
- a cancellation by the sender: the receiving staff
  (which party hears of each referral step is in hubnet_common/sdk/lifecycle.py);
- an overdue referral: the receiving staff, and from the second breach their managers too;
- a hub event scheduled or cancelled: the hub's hosts; a reminder: the hosts and the organiser's staff.

Subscribers and webhook endpoints are added to these by the handler.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from hubnet_common.sdk.lifecycle import TOLD_OF, Party
from hubnet_common.sdk.messages import referral_events as f
from hubnet_common.sdk.messages.base import Fact
from hubnet_common.sdk.messages.hubevent_events import HubEventCancelled, HubEventReminder, HubEventScheduled
from hubnet_notifications.domain import wording
from hubnet_notifications.domain.staff import (
    StaffMember,
    hosts_of_hub,
    managers_of,
    receivers_of_referral,
    senders_of_referral,
)
from hubnet_notifications.domain.subscription import About
from hubnet_notifications.domain.wording import Wording


@dataclass(frozen=True)
class Names:
    """Readable names of what a fact names (from the directory copy, else the ids themselves)."""

    hub: str = ""
    service: str = ""
    sender: str = ""
    by: str = ""
    organiser: str = ""


# The fields holding what `Names` names, and which part of the directory each is in.
NAMED = {
    "hub": ("hub", "hub_id"),
    "service": ("service", "service_id"),
    "sender": ("partner", "sender_partner_id"),
    "by": ("partner", "actor_partner_id"),
    "organiser": ("partner", "organiser_partner_id"),
}


class ReferralFact(Protocol):
    """What every referral fact carries (hubnet_common/sdk/messages/referral_events.py)."""

    @property
    def referral_id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def sender_partner_id(self) -> str: ...
    @property
    def receiver_partner_id(self) -> str: ...
    @property
    def service_id(self) -> str: ...
    @property
    def hub_id(self) -> str: ...


class HubEventFact(Protocol):
    """What every hub event fact carries (hubnet_common/sdk/messages/hubevent_events.py)."""

    @property
    def hub_event_id(self) -> str: ...
    @property
    def hub_id(self) -> str: ...


class OrganisedHubEventFact(HubEventFact, Protocol):
    @property
    def organiser_partner_id(self) -> str: ...


F = TypeVar("F", contravariant=True)  # the kind of fact a row of the table reads


@dataclass(frozen=True)
class Case(Generic[F]):
    """What the fact is about: the page it links to, who it concerns, and its status for webhooks."""

    path: Callable[[F], str]
    about: Callable[[F], About]
    status: Callable[[F], str]


@dataclass(frozen=True)
class Telling(Generic[F]):
    case: Case[F]
    told: Callable[[list[StaffMember], F], list[StaffMember]]
    words: Callable[[str, F, Names, str], Wording]  # (language, fact, names, link)


REFERRAL: Case[ReferralFact] = Case(
    path=lambda fact: f"/referrals/{fact.referral_id}",
    about=lambda fact: About(
        frozenset({fact.sender_partner_id, fact.receiver_partner_id}), fact.service_id, fact.hub_id
    ),
    status=lambda fact: fact.status,
)


def hub_event(status: str) -> Case[OrganisedHubEventFact]:
    """A hub event fact that concerns its organiser."""
    return Case(
        path=_hub_event_page,
        about=lambda fact: About(frozenset({fact.organiser_partner_id}), hub_id=fact.hub_id),
        status=lambda _fact: status,
    )


def hub_event_of_no_partner(status: str) -> Case[HubEventFact]:
    """A hub event fact that names no organiser, so it concerns no partner."""
    return Case(
        path=_hub_event_page, about=lambda fact: About(frozenset(), hub_id=fact.hub_id), status=lambda _: status
    )


def _hub_event_page(fact: HubEventFact) -> str:
    return f"/hub-events/{fact.hub_event_id}"


def party(told: Party) -> Callable[[list[StaffMember], ReferralFact], list[StaffMember]]:
    if told is Party.SENDER:
        return lambda staff, fact: senders_of_referral(staff, fact.sender_partner_id, fact.hub_id)
    return lambda staff, fact: receivers_of_referral(staff, fact.receiver_partner_id, fact.hub_id)


def overdue_told(staff: list[StaffMember], fact: f.ReferralOverdue) -> list[StaffMember]:
    managers = managers_of(staff, fact.receiver_partner_id) if fact.breach >= 2 else []
    return receivers_of_referral(staff, fact.receiver_partner_id, fact.hub_id) + managers


def reminder_told(staff: list[StaffMember], fact: HubEventReminder) -> list[StaffMember]:
    return hosts_of_hub(staff, fact.hub_id) + senders_of_referral(staff, fact.organiser_partner_id, fact.hub_id)


def hosts(staff: list[StaffMember], fact: HubEventFact) -> list[StaffMember]:
    return hosts_of_hub(staff, fact.hub_id)


def new_referral(lang: str, fact: f.ReferralRequested, n: Names, link: str) -> Wording:
    return wording.new_referral(
        lang, referral_id=fact.referral_id, service=n.service, hub=n.hub, sender=n.sender, link=link
    )


def referral_changed(lang: str, fact: ReferralFact, n: Names, link: str) -> Wording:
    reason = getattr(fact, "reason_code", None) or ""  # codes only: free text may name the resident
    return wording.referral_changed(
        lang,
        referral_id=fact.referral_id,
        status=fact.status,
        service=n.service,
        hub=n.hub,
        by=n.by,
        reason=str(reason),
        link=link,
    )


def referral_overdue(lang: str, fact: f.ReferralOverdue, n: Names, link: str) -> Wording:
    return wording.referral_overdue(
        lang,
        referral_id=fact.referral_id,
        kind=fact.kind,
        breach=fact.breach,
        due_at=fact.due_at,
        service=n.service,
        hub=n.hub,
        link=link,
    )


def hub_event_scheduled(lang: str, fact: HubEventScheduled, n: Names, link: str) -> Wording:
    return wording.hub_event_scheduled(
        lang, title=fact.title, hub=n.hub, starts_at=fact.starts_at, organiser=n.organiser, link=link
    )


def hub_event_reminder(lang: str, fact: HubEventReminder, n: Names, link: str) -> Wording:
    return wording.hub_event_reminder(
        lang,
        title=fact.title,
        hub=n.hub,
        starts_at=fact.occurrence_starts_at,
        registered=fact.registered,
        capacity=fact.capacity,
        waitlisted=fact.waitlisted,
        link=link,
    )


def hub_event_cancelled(lang: str, fact: HubEventCancelled, n: Names, link: str) -> Wording:
    return wording.hub_event_cancelled(lang, title=fact.title, hub=n.hub, reason=fact.reason, link=link)


TELLINGS: dict[type[Fact], Telling[Any]] = {
    **{fact: Telling(REFERRAL, party(told), referral_changed) for fact, told in TOLD_OF.items()},
    f.ReferralRequested: Telling(REFERRAL, party(TOLD_OF[f.ReferralRequested]), new_referral),
    f.ReferralOverdue: Telling(REFERRAL, overdue_told, referral_overdue),
    HubEventScheduled: Telling(hub_event("scheduled"), hosts, hub_event_scheduled),
    HubEventReminder: Telling(hub_event("scheduled"), reminder_told, hub_event_reminder),
    # The cancellation names no organiser, so it concerns no partner's webhooks.
    HubEventCancelled: Telling(hub_event_of_no_partner("cancelled"), hosts, hub_event_cancelled),
}
