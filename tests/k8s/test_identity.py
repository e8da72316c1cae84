"""The identity provider in a rendered deployment: who reaches Keycloak and what Keycloak reaches
(the NetworkPolicies, evaluated by tests/k8s/netpol.py), and the realm it imports: made from the
seed data, with a client per partner and no one's password."""

from __future__ import annotations

import pytest

from hubnet_common.ops.identity import read_staff
from hubnet_common.ops.partners import deployment_partners
from tests.k8s.manifests import OVERLAYS, named, render
from tests.k8s.netpol import Pod, admitted, connects
from tests.k8s.policy import KEYCLOAK_PODS

PARTNERS = deployment_partners()
SERVICES = ("hubnet-referrals", "hubnet-events", "hubnet-notifications")
HTTPS = 8443


def _namespace(objects: list[dict]) -> str:
    return named(objects, "Keycloak", "hubnet-keycloak")["metadata"]["namespace"]


def _keycloak(objects: list[dict]) -> Pod:
    return Pod(_namespace(objects), {**KEYCLOAK_PODS, "app.kubernetes.io/managed-by": "keycloak-operator"})


def _pod_of(objects: list[dict], deployment: str) -> Pod:
    target = named(objects, "Deployment", deployment)
    return Pod(target["metadata"]["namespace"], target["spec"]["template"]["metadata"]["labels"])


def _realm(objects: list[dict]) -> dict:
    return named(objects, "KeycloakRealmImport", "hubnet")["spec"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_services_fetch_the_realms_keys_and_nothing_else_of_keycloak(overlay):
    objects = render(overlay)
    keycloak = _keycloak(objects)
    for service in SERVICES:
        pod = _pod_of(objects, service)
        assert connects(objects, pod, keycloak, HTTPS), service
        assert not any(connects(objects, pod, keycloak, port) for port in (8080, 9000, 7800)), service
        assert not connects(objects, pod, Pod(keycloak.namespace, {"cnpg.io/cluster": "keycloak-db"}), 5432)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_the_services_the_ingress_controller_and_prometheus_reach_keycloak(overlay):
    objects = render(overlay)
    keycloak, home = _keycloak(objects), _namespace(objects)
    allowed = {
        "the ingress controller (staff logins, partner systems' tokens)": Pod(
            "ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"}
        ),
        "Prometheus (its token for /metrics)": Pod("monitoring", {"app.kubernetes.io/name": "prometheus"}),
        **{service: _pod_of(objects, service) for service in SERVICES},
    }
    refused = {
        "an unlabelled pod beside it": Pod(home, {"app": "debug-shell"}),
        "a labelled HTTP client of the services": Pod(home, {"hubnet.se/http-client": "true"}),
        "a Kafka broker": Pod(home, {"strimzi.io/cluster": "hubnet", "strimzi.io/kind": "Kafka"}),
        "a pod of another namespace": Pod("default", {"app.kubernetes.io/component": "service"}),
        "from outside the cluster": Pod("", {}, ip="203.0.113.7"),
    }
    assert {who: admitted(objects, pod, keycloak, HTTPS) for who, pod in allowed.items()} == dict.fromkeys(
        allowed, True
    )
    assert {who: admitted(objects, pod, keycloak, HTTPS) for who, pod in refused.items()} == dict.fromkeys(
        refused, False
    )
    assert not admitted(objects, allowed["Prometheus (its token for /metrics)"], keycloak, 9000)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_keycloak_reaches_its_own_database_and_its_peers_only(overlay):
    objects = render(overlay)
    keycloak, home = _keycloak(objects), _namespace(objects)
    assert connects(
        objects, keycloak, Pod(home, {"cnpg.io/cluster": "keycloak-db", "cnpg.io/instanceRole": "primary"}), 5432
    )
    assert all(connects(objects, keycloak, keycloak, port) for port in (7800, 57800))
    for other in ("referrals-db", "events-db", "notifications-db"):
        assert not connects(objects, keycloak, Pod(home, {"cnpg.io/cluster": other}), 5432), other
    assert not connects(objects, keycloak, Pod(home, {"strimzi.io/kind": "Kafka"}), 9093)
    assert not connects(objects, keycloak, Pod("", {}, ip="203.0.113.7"), 443)


def test_the_realm_is_published_without_its_admin_console():
    objects = render("prod")
    keycloak = named(objects, "Keycloak", "hubnet-keycloak")["spec"]
    assert keycloak["http"]["httpEnabled"] is False and keycloak["http"]["tlsSecret"]
    assert keycloak["ingress"] == {"enabled": False}
    ingress = named(objects, "Ingress", "hubnet-keycloak")
    [rule] = ingress["spec"]["rules"]
    assert "https://" + rule["host"] == keycloak["hostname"]["hostname"]
    assert {p["path"] for p in rule["http"]["paths"]} == {"/realms/", "/resources/"}
    assert {p["backend"]["service"]["port"]["number"] for p in rule["http"]["paths"]} == {HTTPS}
    assert ingress["spec"]["tls"] == [{"hosts": [rule["host"]], "secretName": keycloak["http"]["tlsSecret"]}]


def test_the_realm_holds_every_partner_and_staff_member_and_no_password():
    realm = _realm(render("prod"))["realm"]
    clients = {c["clientId"] for c in realm["clients"]}
    assert clients >= {f"partner-{p}" for p in PARTNERS} | {f"portal-{p}" for p in PARTNERS}
    assert {g["name"] for g in realm["groups"]} == set(PARTNERS)
    people = {u["username"]: u for u in realm["users"] if "serviceAccountClientId" not in u}
    assert set(people) >= {member.id for member in read_staff()}
    assert [u for u in realm["users"] if "credentials" in u] == []


def test_every_client_secret_comes_from_its_own_key_of_one_secret():
    spec = _realm(render("prod"))
    confidential = [c for c in spec["realm"]["clients"] if not c["publicClient"]]
    for client in confidential:
        name = client["secret"].removeprefix("${").removesuffix("}")
        assert spec["placeholders"][name] == {"secret": {"name": "hubnet-oidc-clients", "key": client["clientId"]}}
    assert len(spec["placeholders"]) == len(confidential)


def test_prod_runs_two_keycloaks_on_a_replicated_backed_up_database():
    objects = render("prod")
    assert named(objects, "Keycloak", "hubnet-keycloak")["spec"]["instances"] == 2
    database = named(objects, "Cluster", "keycloak-db")["spec"]
    assert database["instances"] == 3 and database["backup"]["barmanObjectStore"]["destinationPath"]
    assert named(render("dev"), "Keycloak", "hubnet-keycloak")["spec"]["instances"] == 1
