"""The worklist: a partner's referrals, incoming and outgoing, grouped by status (open ones first)."""

from __future__ import annotations

from dataclasses import dataclass

from hubnet_common.sdk.messages.vocabulary import Status

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


def _rank(status: str) -> int:
    return ORDER.index(status) if status in ORDER else len(ORDER)


def portal_path(link: str | None) -> str | None:
    """An inbox entry's link as a page of this portal: a referral's page, whatever address the
    notifications service put before it."""
    if not link or "/referrals/" not in link:
        return None
    referral_id = link.rsplit("/referrals/", 1)[1].split("?")[0].split("#")[0]
    return f"/referrals/{referral_id}" if referral_id and "/" not in referral_id else None
