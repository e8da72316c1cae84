"""NetworkPolicies evaluated as Kubernetes evaluates them, on the rendered objects: a connection
from one pod to another on a port passes when the source may send it (egress) and the target may
take it (ingress). In each direction a pod that no policy isolates allows everything; an isolated
one allows what some rule of a policy selecting it allows (its peers and its ports)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from tests.k8s.manifests import of_kind


@dataclass(frozen=True)
class Pod:
    namespace: str
    labels: dict = field(default_factory=dict)
    ip: str = "10.1.2.3"


def _matches(selector: dict | None, labels: dict) -> bool:
    """A label selector; {} selects everything."""
    selector = selector or {}
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for e in selector.get("matchExpressions", []):
        key, op, values = e["key"], e["operator"], e.get("values", [])
        ok = {
            "In": key in labels and labels[key] in values,
            "NotIn": labels.get(key) not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[op]
        if not ok:
            return False
    return True


def _namespace_labels(name: str) -> dict:
    return {"kubernetes.io/metadata.name": name}


def _peer_admits(peer: dict, source: Pod, policy_namespace: str) -> bool:
    if "ipBlock" in peer:
        block = peer["ipBlock"]
        ip = ipaddress.ip_address(source.ip)
        return ip in ipaddress.ip_network(block["cidr"]) and not any(
            ip in ipaddress.ip_network(c) for c in block.get("except", [])
        )
    if "namespaceSelector" in peer:
        in_namespace = _matches(peer["namespaceSelector"], _namespace_labels(source.namespace))
    else:
        in_namespace = source.namespace == policy_namespace  # a podSelector alone: the policy's own namespace
    return in_namespace and _matches(peer.get("podSelector"), source.labels)


def _port_admits(rule_ports: list | None, port: int, port_name: str | None) -> bool:
    if not rule_ports:
        return True
    for p in rule_ports:
        if p.get("protocol", "TCP") != "TCP":
            continue
        wanted = p.get("port")
        if wanted is None or wanted == port or (port_name is not None and wanted == port_name):
            return True
        if isinstance(wanted, int) and p.get("endPort") and wanted <= port <= p["endPort"]:
            return True
    return False


def _allows(objects: list[dict], direction: str, pod: Pod, peer: Pod, port: int, port_name: str | None) -> bool:
    isolating = [
        p
        for p in of_kind(objects, "NetworkPolicy")
        if p["metadata"].get("namespace", "default") == pod.namespace
        and _matches(p["spec"].get("podSelector"), pod.labels)
        and direction in p["spec"].get("policyTypes", ["Ingress"])
    ]
    if not isolating:
        return True
    peers = "from" if direction == "Ingress" else "to"
    return any(
        _port_admits(rule.get("ports"), port, port_name)
        and (not rule.get(peers) or any(_peer_admits(p, peer, pod.namespace) for p in rule[peers]))
        for policy in isolating
        for rule in policy["spec"].get(direction.lower(), [])
    )


def admitted(objects: list[dict], source: Pod, target: Pod, port: int, port_name: str | None = None) -> bool:
    """The target's policies let the source in on the port (its ingress only)."""
    return _allows(objects, "Ingress", target, source, port, port_name)


def sent(objects: list[dict], source: Pod, target: Pod, port: int) -> bool:
    """The source's policies let it out to the target on the port (its egress only)."""
    return _allows(objects, "Egress", source, target, port, None)


def connects(objects: list[dict], source: Pod, target: Pod, port: int) -> bool:
    return sent(objects, source, target, port) and admitted(objects, source, target, port)
