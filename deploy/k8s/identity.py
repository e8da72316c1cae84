"""The identity provider on Kubernetes, written into `deploy/k8s/base/identity/` by generate.py:
Keycloak (the Keycloak operator's `Keycloak`, `k8s.keycloak.org/v2alpha1`, the version the CRDs in
`../shared/crds` serve) with a CloudNativePG cluster of its own, the `hubnet` realm as a
`KeycloakRealmImport` made from `hubnet_common.ops.identity`, and who may reach it.

The realm's public address is also its issuer: tokens name `ISSUER`, the services check it
(HUBNET_OIDC_ISSUER) and fetch the realm's keys from it. Inside the cluster that name must lead to
Keycloak itself (the `hubnet-keycloak-internal` Service below, by a DNS rewrite: docs/identity.md),
and Keycloak serves TLS for it, so in-cluster clients and browsers check the same certificate.
No client secret and no password is in these files: the realm import takes client secrets from the
Secret `hubnet-oidc-clients` (placeholders), and staff log in through a federated provider.
"""

from __future__ import annotations

from typing import Any

from hubnet_common.ops.identity import MONITORING_CLIENT, REALM, Network, Secrets, realm

HOST = "id.hubnet.example.org"  # the realm's public name; change it here and run generate.py
PORTAL = "https://hubnet.example.org"  # hubnet's own pages (HUBNET_BASE_URL in config.yaml)
PORTALS_DOMAIN = "portal.hubnet.example.org"  # each hosted staff portal is https://<partner>.<it> (portals.py)
ISSUER = f"https://{HOST}/realms/{REALM}"
TOKEN_URL = f"{ISSUER}/protocol/openid-connect/token"
VERSION = "26.5.6"  # as deploy/local/keycloak.sh
NAME = "hubnet-keycloak"  # the Keycloak CR; the operator names its Service `<NAME>-service`
DATABASE = "keycloak-db"
TLS_SECRET = "hubnet-keycloak-tls"  # a kubernetes.io/tls Secret for HOST (e.g. from cert-manager)
CLIENT_SECRETS = "hubnet-oidc-clients"  # one key per confidential client, named as the client
HTTPS_PORT, PG_PORT = 8443, 5432
# Infinispan between Keycloak's own pods (jgroups, and its failure detection on port + 50000).
CLUSTER_PORTS = (7800, 57800)
INGRESS_NAMESPACE, MONITORING_NAMESPACE = "ingress-nginx", "monitoring"
# The operator labels Keycloak's pods so (app, and the CR's name as instance).
POD = {"app": "keycloak", "app.kubernetes.io/instance": NAME}
SERVICE_PODS = {"app.kubernetes.io/component": "service", "app.kubernetes.io/part-of": "hubnet"}
PORTAL_PODS = {"app.kubernetes.io/component": "portal", "app.kubernetes.io/part-of": "hubnet"}
PART_OF = {"app.kubernetes.io/part-of": "hubnet"}
LABELS = {"app.kubernetes.io/name": NAME, "app.kubernetes.io/component": "identity", **PART_OF}
# What hubnet does not use, off: an administrator logging in as a staff member would act in their
# name in the audit log; no device, backchannel (CIBA) or Kerberos logins.
FEATURES_OFF = ["impersonation", "device-flow", "ciba", "kerberos"]


def placeholder(client_id: str) -> str:
    """The realm import's variable for a client's secret: `partner-brg` -> PARTNER_BRG_CLIENT_SECRET."""
    return f"{client_id.upper().replace('-', '_')}_CLIENT_SECRET"


def cluster_network() -> Network:
    """Each partner's portal client sends its staff back to that partner's portal only."""
    return Network(portal_redirects=(f"https://{{partner}}.{PORTALS_DOMAIN}/*",))


def cluster_realm(network: Network) -> dict[str, Any]:
    """The realm with `${…}` in place of every client secret, and no user's password."""
    return realm(network, Secrets(client=lambda client_id: "${" + placeholder(client_id) + "}", user=None))


def confidential_clients(network: Network) -> list[str]:
    return [c["clientId"] for c in realm(network, Secrets(client=str))["clients"] if not c["publicClient"]]


def realm_import(network: Network) -> dict:
    return {
        "apiVersion": "k8s.keycloak.org/v2alpha1",
        "kind": "KeycloakRealmImport",
        "metadata": {"name": REALM, "labels": LABELS},
        "spec": {
            "keycloakCRName": NAME,
            "placeholders": {
                placeholder(client): {"secret": {"name": CLIENT_SECRETS, "key": client}}
                for client in confidential_clients(network)
            },
            "realm": cluster_realm(network),
        },
    }


def database() -> dict:
    return {
        "apiVersion": "postgresql.cnpg.io/v1",
        "kind": "Cluster",
        "metadata": {"name": DATABASE, "labels": LABELS},
        "spec": {
            "instances": 1,
            "bootstrap": {"initdb": {"database": "keycloak", "owner": "keycloak"}},
            "storage": {"size": "5Gi"},
            "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
        },
    }


def keycloak() -> dict:
    app_secret = f"{DATABASE}-app"  # CloudNativePG's login of the database owner
    return {
        "apiVersion": "k8s.keycloak.org/v2alpha1",
        "kind": "Keycloak",
        "metadata": {"name": NAME, "labels": LABELS},
        "spec": {
            "instances": 1,  # overlays/prod: 2
            "image": f"quay.io/keycloak/keycloak:{VERSION}",
            "startOptimized": False,
            "db": {
                "vendor": "postgres",
                "host": f"{DATABASE}-rw",
                "port": PG_PORT,
                "database": "keycloak",
                "usernameSecret": {"name": app_secret, "key": "username"},
                "passwordSecret": {"name": app_secret, "key": "password"},
            },
            # HTTPS only, with the certificate of the public name: the ingress re-encrypts to it.
            "http": {"httpEnabled": False, "httpsPort": HTTPS_PORT, "tlsSecret": TLS_SECRET},
            # A full URL: every token names this issuer whichever address the request came to. The
            # admin console is not published (the Ingress has no /admin): reach it by port-forward.
            "hostname": {"hostname": f"https://{HOST}", "admin": f"https://localhost:{HTTPS_PORT}", "strict": True},
            # The ingress controller says who the browser is (brute-force protection counts per address).
            "proxy": {"headers": "xforwarded"},
            "ingress": {"enabled": False},  # the Ingress below publishes only the realm's pages
            "features": {"disabled": FEATURES_OFF},
            "additionalOptions": [
                {"name": "db-url-properties", "value": "?sslmode=require"},
                {"name": "health-enabled", "value": "true"},
            ],
            "resources": {
                "requests": {"cpu": "250m", "memory": "768Mi"},
                "limits": {"cpu": "2", "memory": "1536Mi"},
            },
        },
    }


def internal_service() -> dict:
    """The realm's public name inside the cluster: port 443, as in the issuer, to Keycloak's HTTPS."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": f"{NAME}-internal", "labels": LABELS},
        "spec": {"selector": POD, "ports": [{"name": "https", "port": 443, "targetPort": HTTPS_PORT}]},
    }


def ingress() -> dict:
    """Browsers (staff logins) and partner systems (tokens) reach the realm's pages, nothing else:
    `/realms/` and `/resources/` (the login page's scripts and styles), never `/admin/`."""
    backend = {"service": {"name": f"{NAME}-service", "port": {"number": HTTPS_PORT}}}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": NAME,
            "labels": LABELS,
            "annotations": {"nginx.ingress.kubernetes.io/backend-protocol": "HTTPS"},
        },
        "spec": {
            "ingressClassName": "nginx",
            "tls": [{"hosts": [HOST], "secretName": TLS_SECRET}],
            "rules": [
                {
                    "host": HOST,
                    "http": {
                        "paths": [
                            {"path": path, "pathType": "Prefix", "backend": backend}
                            for path in ("/realms/", "/resources/")
                        ]
                    },
                }
            ],
        },
    }


def _namespace(name: str) -> dict:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}


def network_policy() -> dict:
    """In on HTTPS: the hubnet services (the realm's keys), the hosted staff portals (their staff's
    tokens), the ingress controller (logins, partner systems' tokens) and Prometheus (its token for
    /metrics); Keycloak's own pods among themselves.
    Out: DNS, its database, its own pods."""
    tcp = [{"protocol": "TCP", "port": p} for p in CLUSTER_PORTS]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": NAME, "labels": LABELS},
        "spec": {
            "podSelector": {"matchLabels": POD},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [
                {
                    "from": [
                        {"podSelector": {"matchLabels": SERVICE_PODS}},
                        {"podSelector": {"matchLabels": PORTAL_PODS}},
                        _namespace(INGRESS_NAMESPACE),
                        _namespace(MONITORING_NAMESPACE),
                    ],
                    "ports": [{"protocol": "TCP", "port": HTTPS_PORT}],
                },
                {"from": [{"podSelector": {"matchLabels": POD}}], "ports": tcp},
            ],
            "egress": [
                {
                    "to": [{**_namespace("kube-system"), "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                },
                {
                    "to": [{"podSelector": {"matchLabels": {"cnpg.io/cluster": DATABASE}}}],
                    "ports": [{"protocol": "TCP", "port": PG_PORT}],
                },
                {"to": [{"podSelector": {"matchLabels": POD}}], "ports": tcp},
            ],
        },
    }


def config() -> dict:
    """What Prometheus needs to know of the realm besides its secret."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "hubnet-identity", "labels": LABELS},
        "data": {"monitoring-client-id": MONITORING_CLIENT},
    }


# --- what the services' manifests (generate.py) take from here -----------------------------------

ISSUER_ENV = {"name": "HUBNET_OIDC_ISSUER", "value": ISSUER}

# Prometheus logs in as the monitoring client (client credentials) and scrapes with its token:
# /metrics wants the `monitoring` role (hubnet_common/service/runtime.py).
SCRAPE_OAUTH2 = {
    "clientId": {"configMap": {"name": "hubnet-identity", "key": "monitoring-client-id"}},
    "clientSecret": {"name": CLIENT_SECRETS, "key": MONITORING_CLIENT},
    "tokenUrl": TOKEN_URL,
}

# The realm's keys, from Keycloak's pods (the public name leads there inside the cluster).
KEYS_EGRESS = {
    "to": [{"podSelector": {"matchLabels": POD}}],
    "ports": [{"protocol": "TCP", "port": HTTPS_PORT}],
}


def objects() -> list[dict]:
    return [config(), database(), keycloak(), internal_service(), ingress(), network_policy()]


def realm_objects() -> list[dict]:
    return [realm_import(cluster_network())]
