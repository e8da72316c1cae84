"""The worklist: a partner's referrals, incoming and outgoing, grouped by status (open ones first)."""

from __future__ import annotations

from dataclasses import dataclass

from hubnet_common.sdk.messages.vocabulary import Status
from hubnet_portal.domain.words import N_

ORDER = [status.value for status in Status]


@dataclass(frozen=True)
class Group:
    status: str
    referrals: list[dict]


def by_status(referrals: list[dict]) -> list[Group]:
    groups: dict[str, list[dict]] = {}
    for referral in sorted(referrals, key=lambda r: r["requested_at"], reverse=True):
        groups.setdefault(referral["status"], []).append(referral)
    return [Group(status, groups[status]) for status in sorted(groups, key=_rank)]


@dataclass(frozen=True)
class SlaFlag:
    words: str  # a gettext message id, with %(days)s
    days: int
    overdue: bool


SLA_KIND = {"acknowledge": N_("Acknowledge by"), "answer": N_("Answer by")}


def sla_flag(clock: dict | None) -> SlaFlag | None:
    """How the worklist flags a referral's running SLA clock: working days left, or passed."""
    if not clock or clock.get("working_days_left") is None:
        return None
    left = clock["working_days_left"]
    if left < 0:
        words = N_("1 working day overdue") if left == -1 else N_("%(days)s working days overdue")
        return SlaFlag(words, -left, overdue=True)
    if left == 0:
        return SlaFlag(N_("Due today"), 0, overdue=False)
    return SlaFlag(N_("1 working day left") if left == 1 else N_("%(days)s working days left"), left, overdue=False)


def _rank(status: str) -> int:
    return ORDER.index(status) if status in ORDER else len(ORDER)


def portal_path(link: str | None) -> str | None:
    """An inbox entry's link as a page of this portal: a referral's page, whatever address the
    notifications service put before it."""
    if not link or "/referrals/" not in link:
        return None
    referral_id = link.rsplit("/referrals/", 1)[1].split("?")[0].split("#")[0]
    return f"/referrals/{referral_id}" if referral_id and "/" not in referral_id else None
