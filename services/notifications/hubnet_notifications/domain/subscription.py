"""Who else wants to know: staff subscriptions and partners' webhook endpoints.

A fact has a kind (`referral.requested`, `hubevent.scheduled`, …, from its ce_type) and is
`About` some partners, a service and a hub. A subscription or endpoint names kinds (patterns such
as `referral.*`) and, for subscriptions, optionally one partner, service or hub.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase


def kind_of(ce_type: str) -> str:
    """`se.hubnet.referral.requested.v1` → `referral.requested`."""
    return ".".join(ce_type.split(".")[2:-1])


def kind_matches(patterns: tuple[str, ...], kind: str) -> bool:
    return any(fnmatchcase(kind, pattern) for pattern in patterns)


@dataclass(frozen=True)
class About:
    partner_ids: frozenset[str]
    service_id: str | None = None
    hub_id: str | None = None


@dataclass(frozen=True)
class Subscription:
    id: str
    staff_id: str
    kinds: tuple[str, ...]
    partner_id: str | None = None
    service_id: str | None = None
    hub_id: str | None = None

    def matches(self, kind: str, about: About) -> bool:
        return (
            kind_matches(self.kinds, kind)
            and (self.partner_id is None or self.partner_id in about.partner_ids)
            and (self.service_id is None or self.service_id == about.service_id)
            and (self.hub_id is None or self.hub_id == about.hub_id)
        )


@dataclass(frozen=True)
class WebhookEndpoint:
    id: str
    partner_id: str
    url: str
    secret: str  # sealed to the service's X25519 key (docs/adr/0008-webhook-secrets.md)
    kinds: tuple[str, ...]
    active: bool = True

    def wants(self, kind: str, about: About) -> bool:
        return self.active and self.partner_id in about.partner_ids and kind_matches(self.kinds, kind)


def webhook_document(
    notification_id: str, kind: str, *, fact_id: str, subject: str, about: About, status: str | None, link: str, at: str
) -> dict:
    """The small JSON a webhook receives: what happened to which case, never who it concerns."""
    return {
        "id": notification_id,
        "type": kind,
        "fact_id": fact_id,
        "subject": subject,
        "status": status,
        "hub_id": about.hub_id,
        "service_id": about.service_id,
        "partners": sorted(about.partner_ids),
        "link": link,
        "at": at,
    }
