"""The staff portals hubnet hosts (deploy/k8s/portals.py), as rendered: one per hosted partner with
that partner's own Kafka user and keys, published over TLS on a name of its own, reached only
through the ingress controller, reaching only what a portal needs (evaluated by tests/k8s/netpol.py)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ROOT
from tests.k8s.manifests import OVERLAYS, load_module, named, of_kind, render
from tests.k8s.netpol import Pod, connects
from tests.k8s.policy import KEYCLOAK_PODS

portals = load_module(ROOT / "deploy" / "k8s" / "portals.py", "hubnet_k8s_portals_test")
HOSTED = [f"hubnet-portal-{partner}" for partner in portals.HOSTED]


def _pod(objects: list[dict], deployment: str) -> Pod:
    target = named(objects, "Deployment", deployment)
    return Pod(target["metadata"]["namespace"], target["spec"]["template"]["metadata"]["labels"])


def _container(objects: list[dict], deployment: str) -> dict:
    [container] = named(objects, "Deployment", deployment)["spec"]["template"]["spec"]["containers"]
    return container


def _env(container: dict) -> dict:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def test_each_portal_acts_for_its_partner_alone_with_its_own_login_and_keys():
    objects = render("prod")
    seen_secrets = set()
    for partner, name in zip(portals.HOSTED, HOSTED, strict=True):
        env = _env(_container(objects, name))
        assert env["HUBNET_PORTAL_PARTNER"] == partner
        assert env["HUBNET_KAFKA_SASL_USERNAME"] == f"partner-{partner}"
        assert env["HUBNET_KAFKA_SASL_PASSWORD"] == {"secretKeyRef": {"name": f"partner-{partner}", "key": "password"}}
        volumes = named(objects, "Deployment", name)["spec"]["template"]["spec"]["volumes"]
        [keys] = [v["secret"] for v in volumes if v["name"] == "partner-keys"]
        assert keys["secretName"] == f"{name}-keys" and keys["defaultMode"] == 0o400
        seen_secrets.add(keys["secretName"])
        assert env["HUBNET_PORTAL_URL"] == f"https://{partner}.portal.hubnet.example.org"
    assert len(seen_secrets) == len(HOSTED)  # no two portals share a key
    assert {u["metadata"]["name"] for u in of_kind(objects, "KafkaUser")} >= {f"partner-{p}" for p in portals.HOSTED}


def test_each_portal_is_published_over_tls_on_its_own_name_to_its_own_service():
    objects = render("prod")
    for name in HOSTED:
        ingress = named(objects, "Ingress", name)["spec"]
        [rule] = ingress["rules"]
        assert ingress["tls"] == [{"hosts": [rule["host"]], "secretName": f"{name}-tls"}]
        assert "https://" + rule["host"] == _env(_container(objects, name))["HUBNET_PORTAL_URL"]
        [path] = rule["http"]["paths"]
        assert path["backend"]["service"] == {"name": name, "port": {"number": 8080}}
        assert named(objects, "Service", name)["spec"]["selector"] == {"app.kubernetes.io/name": name}
        probes = {p: _container(objects, name)[p]["httpGet"]["path"] for p in ("livenessProbe", "readinessProbe")}
        assert probes == {"livenessProbe": "/healthz", "readinessProbe": "/healthz"}


def test_a_partners_staff_are_sent_back_to_their_own_portal_only():
    objects = render("prod")
    realm = named(objects, "KeycloakRealmImport", "hubnet")["spec"]["realm"]
    clients = {c["clientId"]: c for c in realm["clients"]}
    for partner in portals.HOSTED:
        assert clients[f"portal-{partner}"]["redirectUris"] == [f"https://{partner}.portal.hubnet.example.org/*"]
    [notifications] = named(objects, "Deployment", "hubnet-notifications")["spec"]["template"]["spec"]["containers"]
    links = json.loads(_env(notifications)["HUBNET_PARTNER_URLS"])
    assert links == {p: f"https://{p}.portal.hubnet.example.org" for p in portals.HOSTED}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_the_ingress_controller_reaches_a_portal(overlay):
    objects = render(overlay)
    for name in HOSTED:
        portal = _pod(objects, name)
        home = portal.namespace
        assert connects(objects, Pod("ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"}), portal, 8080)
        refused = {
            "a labelled HTTP client beside it": Pod(home, {"hubnet.se/http-client": "true"}),
            "a hubnet service": _pod(objects, "hubnet-referrals"),
            "another portal": _pod(objects, next(n for n in HOSTED if n != name)),
            "Prometheus": Pod("monitoring", {"app.kubernetes.io/name": "prometheus"}),
            "from outside the cluster": Pod("", {}, ip="203.0.113.7"),
        }
        assert {who: connects(objects, pod, portal, 8080) for who, pod in refused.items()} == dict.fromkeys(
            refused, False
        )
        assert not connects(objects, Pod("ingress-nginx", {}), portal, 9090)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_a_portal_reaches_the_services_apis_kafka_and_keycloak_and_nothing_else(overlay):
    objects = render(overlay)
    for name in HOSTED:
        portal = _pod(objects, name)
        home = portal.namespace
        reached = {
            "referrals": (_pod(objects, "hubnet-referrals"), 8080),
            "notifications": (_pod(objects, "hubnet-notifications"), 8080),
            "events": (_pod(objects, "hubnet-events"), 8080),
            "Kafka": (Pod(home, {"strimzi.io/cluster": "hubnet", "strimzi.io/kind": "Kafka"}), 9093),
            "Keycloak": (Pod(home, {**KEYCLOAK_PODS, "app.kubernetes.io/managed-by": "keycloak-operator"}), 8443),
        }
        assert {who: connects(objects, portal, pod, port) for who, (pod, port) in reached.items()} == dict.fromkeys(
            reached, True
        )
        refused = {
            "the referrals database": (Pod(home, {"cnpg.io/cluster": "referrals-db"}), 5432),
            "Keycloak's database": (Pod(home, {"cnpg.io/cluster": "keycloak-db"}), 5432),
            "another portal": (_pod(objects, next(n for n in HOSTED if n != name)), 8080),
            "a service's other port": (_pod(objects, "hubnet-referrals"), 9090),
            "the internet": (Pod("", {}, ip="203.0.113.7"), 443),
        }
        assert {who: connects(objects, portal, pod, port) for who, (pod, port) in refused.items()} == dict.fromkeys(
            refused, False
        )
