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


@dataclass(frozen=True)
class Case:
    """What the fact is about: the page it links to, who it concerns, and its status for webhooks."""

    path: Callable[[Fact], str]
    about: Callable[[Fact], About]
    status: Callable[[Fact], str]


@dataclass(frozen=True)
class Telling:
    case: Case
    told: Callable[[list[StaffMember], Fact], list[StaffMember]]
    words: Callable[[str, Fact, Names, str], Wording]  # (language, fact, names, link)


REFERRAL = Case(
    path=lambda fact: f"/referrals/{fact.referral_id}",
    about=lambda fact: About(
        frozenset({fact.sender_partner_id, fact.receiver_partner_id}), fact.service_id, fact.hub_id
    ),
    status=lambda fact: fact.status,
)


def hub_event(status: str, *, organiser_concerned: bool = True) -> Case:
    return Case(
        path=lambda fact: f"/hub-events/{fact.hub_event_id}",
        about=lambda fact: About(
            frozenset({fact.organiser_partner_id} if organiser_concerned else ()), hub_id=fact.hub_id
        ),
        status=lambda _fact: status,
    )


def party(told: Party) -> Callable[[list[StaffMember], Fact], list[StaffMember]]:
    if told is Party.SENDER:
        return lambda staff, fact: senders_of_referral(staff, fact.sender_partner_id, fact.hub_id)
    return lambda staff, fact: receivers_of_referral(staff, fact.receiver_partner_id, fact.hub_id)


def overdue_told(staff: list[StaffMember], fact: f.ReferralOverdue) -> list[StaffMember]:
    managers = managers_of(staff, fact.receiver_partner_id) if fact.breach >= 2 else []
    return receivers_of_referral(staff, fact.receiver_partner_id, fact.hub_id) + managers


def reminder_told(staff: list[StaffMember], fact: HubEventReminder) -> list[StaffMember]:
    return hosts_of_hub(staff, fact.hub_id) + senders_of_referral(staff, fact.organiser_partner_id, fact.hub_id)


def hosts(staff: list[StaffMember], fact: Fact) -> list[StaffMember]:
    return hosts_of_hub(staff, fact.hub_id)


def new_referral(lang: str, fact: f.ReferralRequested, n: Names, link: str) -> Wording:
    return wording.new_referral(
        lang, referral_id=fact.referral_id, service=n.service, hub=n.hub, sender=n.sender, link=link
    )


def referral_changed(lang: str, fact: Fact, n: Names, link: str) -> Wording:
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


TELLINGS: dict[type, Telling] = {
    **{fact: Telling(REFERRAL, party(told), referral_changed) for fact, told in TOLD_OF.items()},
    f.ReferralRequested: Telling(REFERRAL, party(TOLD_OF[f.ReferralRequested]), new_referral),
    f.ReferralOverdue: Telling(REFERRAL, overdue_told, referral_overdue),
    HubEventScheduled: Telling(hub_event("scheduled"), hosts, hub_event_scheduled),
    HubEventReminder: Telling(hub_event("scheduled"), reminder_told, hub_event_reminder),
    # The cancellation names no organiser, so it concerns no partner's webhooks.
    HubEventCancelled: Telling(hub_event("cancelled", organiser_concerned=False), hosts, hub_event_cancelled),
}
