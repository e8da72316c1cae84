"""Where a webhook may point (docs/security.md, "server-side request forgery"): HTTPS to a public
address. Pure rules; the sender (adapters/webhook.py) resolves the name, checks every address with
`WebhookPolicy.allows` and connects to the one it checked, so DNS cannot switch it afterwards.

The local stack and tests, whose receivers are on loopback over http, relax this explicitly
(`HUBNET_WEBHOOK_ALLOW_PRIVATE`, `HUBNET_WEBHOOK_ALLOW_HTTP`); no Kubernetes overlay does."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Typical pod and service ranges of Kubernetes clusters (kubeadm, flannel/calico, k3s, EKS); most lie
# in RFC 1918 anyway, but a cluster may use others: HUBNET_WEBHOOK_BLOCKED_RANGES says which.
CLUSTER_RANGES = ("10.96.0.0/12", "10.244.0.0/16", "10.42.0.0/16", "10.43.0.0/16", "172.20.0.0/16", "fd00:10::/32")

# Never a partner's receiver, even with private addresses allowed.
_NEVER = ("0.0.0.0/8", "::/128", "224.0.0.0/4", "ff00::/8", "240.0.0.0/4", "255.255.255.255/32")
# Not public: loopback, RFC 1918, link-local (cloud metadata at 169.254.169.254), CGNAT, unique-local.
_PRIVATE = (
    "127.0.0.0/8",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "169.254.0.0/16",
    "100.64.0.0/10",
    "::1/128",
    "fe80::/10",
    "fc00::/7",
)

NOT_ALLOWED = "address not allowed"


def networks(cidrs: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(c, strict=False) for c in cidrs)


@dataclass(frozen=True)
class WebhookPolicy:
    allow_http: bool = False
    allow_private: bool = False
    blocked: tuple[Network, ...] = field(default_factory=lambda: networks(CLUSTER_RANGES))

    def allows(self, address: Address) -> bool:
        """May the service connect to this address for a partner?"""
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1

        def within(cidrs: Iterable[Network]) -> bool:
            return any(address.version == n.version and address in n for n in cidrs)

        if within(_NEVERS) or within(self.blocked):
            return False
        if self.allow_private:
            return True
        return not within(_PRIVATES) and address.is_global

    def refusal(self, url: str) -> str | None:
        """Why the URL may not be registered, or None. A name is checked when delivering (resolved
        then); an address literal already here."""
        parts = urlsplit(url)
        if parts.scheme != "https" and not (self.allow_http and parts.scheme == "http"):
            return "webhooks must use https"
        if not parts.hostname:
            return "a webhook URL needs a host"
        try:
            parts.port  # noqa: B018 - raises on a bad port
        except ValueError:
            return "bad port in the webhook URL"
        try:
            literal = ipaddress.ip_address(parts.hostname)
        except ValueError:
            return None
        return None if self.allows(literal) else NOT_ALLOWED


_NEVERS, _PRIVATES = networks(_NEVER), networks(_PRIVATE)
# What the NetworkPolicy of the notifications service leaves out of its egress (deploy/k8s/generate.py).
PRIVATE_V4 = tuple(c for c in _PRIVATE if ":" not in c)
