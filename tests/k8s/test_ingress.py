"""Who can reach the services' HTTP port in a rendered deployment (docs/operations.md, "HTTP reads …
are allowed only from pods labelled `hubnet.se/http-client: "true"` and from namespace
`monitoring`"). The rendered NetworkPolicies are evaluated as Kubernetes evaluates them
(tests/k8s/netpol.py)."""

from __future__ import annotations

import pytest

from tests.k8s.manifests import OVERLAYS, named, render
from tests.k8s.netpol import Pod, admitted

SERVICES = ("hubnet-referrals", "hubnet-events", "hubnet-notifications")


def reaches(objects: list[dict], source: Pod, deployment: str, port: int) -> bool:
    target = named(objects, "Deployment", deployment)
    pod = target["spec"]["template"]
    port_name = next(
        (p.get("name") for c in pod["spec"]["containers"] for p in c.get("ports", []) if p["containerPort"] == port),
        None,
    )
    to = Pod(target["metadata"].get("namespace", "default"), pod["metadata"]["labels"])
    return admitted(objects, source, to, port, port_name)


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
