"""Who can reach the services' HTTP port in a rendered deployment (docs/operations.md, "HTTP reads …
are allowed only from pods labelled `hubnet.se/http-client: "true"` and from namespace
`monitoring`"). The rendered NetworkPolicies are evaluated as Kubernetes evaluates ingress: a pod
that no policy isolates takes everything; an isolated one takes what some rule of a policy
selecting it allows (its peers and its ports)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

import pytest

from tests.k8s.manifests import OVERLAYS, named, of_kind, render

SERVICES = ("hubnet-referrals", "hubnet-events", "hubnet-notifications")


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


def reaches(objects: list[dict], source: Pod, deployment: str, port: int) -> bool:
    target = named(objects, "Deployment", deployment)
    namespace = target["metadata"].get("namespace", "default")
    pod = target["spec"]["template"]
    labels = pod["metadata"]["labels"]
    port_name = next(
        (p.get("name") for c in pod["spec"]["containers"] for p in c.get("ports", []) if p["containerPort"] == port),
        None,
    )
    isolating = [
        p
        for p in of_kind(objects, "NetworkPolicy")
        if p["metadata"].get("namespace", "default") == namespace
        and _matches(p["spec"].get("podSelector"), labels)
        and "Ingress" in p["spec"].get("policyTypes", ["Ingress"])
    ]
    if not isolating:
        return True
    return any(
        _port_admits(rule.get("ports"), port, port_name)
        and (not rule.get("from") or any(_peer_admits(peer, source, namespace) for peer in rule["from"]))
        for policy in isolating
        for rule in policy["spec"].get("ingress", [])
    )


def http_port(objects: list[dict], deployment: str) -> int:
    [port] = [
        p["containerPort"]
        for c in named(objects, "Deployment", deployment)["spec"]["template"]["spec"]["containers"]
        for p in c.get("ports", [])
    ]
    return port


def namespace_of(objects: list[dict]) -> str:
    return named(objects, "Deployment", SERVICES[0])["metadata"]["namespace"]


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("service", SERVICES)
def test_only_labelled_http_clients_and_monitoring_reach_a_service(overlay, service):
    objects = render(overlay)
    home, port = namespace_of(objects), http_port(objects, service)
    allowed = {
        "a labelled client beside it": Pod(home, {"hubnet.se/http-client": "true", "app": "case-system"}),
        "Prometheus in monitoring": Pod("monitoring", {"app.kubernetes.io/name": "prometheus"}),
        "any pod in monitoring": Pod("monitoring"),
    }
    refused = {
        "an unlabelled pod beside it": Pod(home, {"app": "debug-shell"}),
        "a pod labelled false": Pod(home, {"hubnet.se/http-client": "false"}),
        "a labelled pod of another namespace": Pod("default", {"hubnet.se/http-client": "true"}),
        "another hubnet service": Pod(
            home,
            named(objects, "Deployment", next(s for s in SERVICES if s != service))["spec"]["template"]["metadata"][
                "labels"
            ],
        ),
        "from outside the cluster": Pod("", {}, ip="203.0.113.7"),
    }
    assert {who: reaches(objects, pod, service, port) for who, pod in allowed.items()} == dict.fromkeys(allowed, True)
    assert {who: reaches(objects, pod, service, port) for who, pod in refused.items()} == dict.fromkeys(refused, False)


@pytest.mark.parametrize("service", SERVICES)
def test_even_an_allowed_client_reaches_no_other_port(service):
    objects = render("prod")
    client = Pod(namespace_of(objects), {"hubnet.se/http-client": "true"})
    assert reaches(objects, client, service, http_port(objects, service))
    assert not any(reaches(objects, client, service, other) for other in (22, 5432, 8081, 9090))


def test_the_evaluator_lets_everything_through_to_a_pod_no_policy_isolates():
    """So that the refusals above come from the policies, not from the evaluator."""
    objects = [o for o in render("prod") if o["kind"] != "NetworkPolicy"]
    stranger = Pod("default", {"app": "anything"}, ip="203.0.113.7")
    assert all(reaches(objects, stranger, service, http_port(objects, service)) for service in SERVICES)
