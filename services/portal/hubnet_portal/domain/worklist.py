"""The worklist: a partner's referrals, incoming and outgoing, grouped by status (open ones first),
a page of each at a time, filtered by status, hub and service."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from hubnet_common.sdk.messages.vocabulary import Status
from hubnet_portal.domain.words import N_

ORDER = [status.value for status in Status]
PAGE = 50  # referrals of each direction on one page
_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


@dataclass(frozen=True)
class Filters:
    status: str | None = None
    hub: str | None = None
    service: str | None = None
    page_in: int = 0
    page_out: int = 0

    @classmethod
    def of(cls, query: Mapping[str, str]) -> Filters:
        """From a worklist address; anything that is no status, id or page number counts as not given."""
        status = query.get("status") or None
        return cls(
            status=status if status in ORDER else None,
            hub=_id(query.get("hub")),
            service=_id(query.get("service")),
            page_in=_page(query.get("page_in")),
            page_out=_page(query.get("page_out")),
        )

    def asked(self) -> dict[str, str]:
        """What the referrals service is asked for (its query parameters), besides role and page."""
        return {k: v for k, v in (("status", self.status), ("hub", self.hub), ("service", self.service)) if v}

    def address(self, **pages: int) -> str:
        query = {**self.asked(), "page_in": self.page_in, "page_out": self.page_out, **pages}
        return "/referrals?" + urlencode({k: v for k, v in query.items() if v})


def _id(value: str | None) -> str | None:
    return value if value and _ID.match(value) else None


def _page(value: str | None) -> int:
    return min(int(value), 10_000) if value and value.isdigit() else 0


@dataclass(frozen=True)
class Page:
    """One page of one direction's referrals: grouped, and whether there are more."""

    groups: list
    number: int
    more: bool


def page_of(referrals: list[dict], number: int) -> Page:
    """`referrals` as asked for: up to PAGE + 1 from the page's first, the one more telling there is a next page."""
    return Page(by_status(referrals[:PAGE]), number, more=len(referrals) > PAGE)


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
