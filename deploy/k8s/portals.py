"""The staff portals hubnet hosts, written into `deploy/k8s/base/portals/` by generate.py: for each
partner without a case system of its own, its portal (hubnet_portal, docs/adr/0014-staff-portal.md)
as a Deployment of one pod acting for that partner alone, with its Service, its Ingress (TLS on a
name of its own) and a NetworkPolicy.

Each portal is its partner's system: it logs in to Kafka as the partner's KafkaUser
(`partner-<id>`, whose password Strimzi keeps in a Secret of that name) and signs with the
partner's key, from the Secret `hubnet-portal-<id>-keys` (`ed25519.key` to sign, `x25519.key` to
open data key copies sealed to the partner). One pod, replaced and not rolled: sessions are kept in
the pod's memory (a restart logs staff out, two pods would split them).
"""

from __future__ import annotations

from typing import Any

HOSTED = ("brg", "stadsmissionen")  # partners whose staff work in a portal hubnet runs for them
HTTP_PORT, KAFKA_PORT, HTTPS_PORT = 8080, 9093, 8443
INGRESS_NAMESPACE = "ingress-nginx"
UID = 10001
PART_OF = {"app.kubernetes.io/part-of": "hubnet"}
PODS = {"app.kubernetes.io/component": "portal", **PART_OF}  # every portal's pods
# The services' APIs a portal asks as the staff member: referrals, notifications (the inbox), and
# events (the hub events' pages).
APIS = ("referrals", "notifications", "events")
RESOURCES = {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}}


def addresses(domain: str) -> dict[str, str]:
    """Each hosted portal's address (the notifications service's HUBNET_PARTNER_URLS: mails link there)."""
    return {partner: f"https://{partner}.{domain}" for partner in HOSTED}


def objects(domain: str, issuer_env: dict[str, Any], keycloak_egress: dict[str, Any]) -> list[dict]:
    out: list[dict] = []
    for partner, address in addresses(domain).items():
        name = f"hubnet-portal-{partner}"
        # A client of the services' HTTP APIs (their NetworkPolicies admit the label).
        labels = {"app.kubernetes.io/name": name, "hubnet.se/partner": partner, "hubnet.se/http-client": "true", **PODS}
        out += [
            deployment(partner, address, name, labels, issuer_env),
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": name, "labels": labels},
                "spec": {
                    "selector": {"app.kubernetes.io/name": name},
                    "ports": [{"name": "http", "port": HTTP_PORT, "targetPort": "http"}],
                },
            },
            ingress(address.removeprefix("https://"), name, labels),
            network_policy(name, labels, keycloak_egress),
        ]
    return out


def deployment(partner: str, address: str, name: str, labels: dict, issuer_env: dict[str, Any]) -> dict:
    user = f"partner-{partner}"
    env = [
        {"name": "HUBNET_PORTAL_PARTNER", "value": partner},
        {"name": "HUBNET_PORTAL_URL", "value": address},
        {"name": "HUBNET_REFERRALS_URL", "value": f"http://hubnet-referrals:{HTTP_PORT}"},
        {"name": "HUBNET_NOTIFICATIONS_URL", "value": f"http://hubnet-notifications:{HTTP_PORT}"},
        {"name": "HUBNET_KAFKA_SASL_USERNAME", "value": user},
        {"name": "HUBNET_KAFKA_SASL_PASSWORD", "valueFrom": {"secretKeyRef": {"name": user, "key": "password"}}},
        {"name": "HUBNET_SIGNING_KEY_FILE", "value": "/etc/hubnet/partner-keys/ed25519.key"},
        {"name": "HUBNET_ENCRYPTION_KEY_FILE", "value": "/etc/hubnet/partner-keys/x25519.key"},
        issuer_env,
    ]
    probe = {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10, "timeoutSeconds": 3}
    container = {
        "name": "portal",
        "image": "hubnet",
        "imagePullPolicy": "IfNotPresent",
        "command": ["hubnet-portal"],
        "env": env,
        "envFrom": [{"configMapRef": {"name": "hubnet-config"}}],
        "ports": [{"name": "http", "containerPort": HTTP_PORT}],
        "securityContext": {
            "runAsNonRoot": True,
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [
            {"name": "tmp", "mountPath": "/tmp"},
            {"name": "kafka-ca", "mountPath": "/etc/hubnet/kafka-ca", "readOnly": True},
            {"name": "public-keys", "mountPath": "/etc/hubnet/keys", "readOnly": True},
            {"name": "partner-keys", "mountPath": "/etc/hubnet/partner-keys", "readOnly": True},
        ],
        "resources": RESOURCES,
        "startupProbe": {**probe, "periodSeconds": 5, "failureThreshold": 30},
        "livenessProbe": {**probe, "failureThreshold": 3},
        "readinessProbe": {**probe, "failureThreshold": 3},
    }
    keys = [{"key": file, "path": file} for file in ("ed25519.key", "x25519.key")]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": 1,
            "strategy": {"type": "Recreate"},
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "automountServiceAccountToken": False,
                    "enableServiceLinks": False,
                    "terminationGracePeriodSeconds": 30,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": UID,
                        "runAsGroup": UID,
                        "fsGroup": UID,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [container],
                    "volumes": [
                        {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
                        {
                            "name": "kafka-ca",
                            "secret": {
                                "secretName": "hubnet-cluster-ca-cert",
                                "items": [{"key": "ca.crt", "path": "ca.crt"}],
                            },
                        },
                        {"name": "public-keys", "configMap": {"name": "hubnet-public-keys"}},
                        {
                            "name": "partner-keys",
                            "secret": {"secretName": f"{name}-keys", "defaultMode": 0o400, "items": keys},
                        },
                    ],
                },
            },
        },
    }


def ingress(host: str, name: str, labels: dict) -> dict:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": name,
            "labels": labels,
            "annotations": {"nginx.ingress.kubernetes.io/ssl-redirect": "true"},
        },
        "spec": {
            "ingressClassName": "nginx",
            "tls": [{"hosts": [host], "secretName": f"{name}-tls"}],  # e.g. from cert-manager
            "rules": [
                {
                    "host": host,
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": name, "port": {"number": HTTP_PORT}}},
                            }
                        ]
                    },
                }
            ],
        },
    }


def network_policy(name: str, labels: dict, keycloak_egress: dict[str, Any]) -> dict:
    """In: only the ingress controller. Out: DNS, the Kafka brokers, Keycloak (logins, tokens and
    the realm's keys) and the HTTP APIs of the referrals, notifications and events services."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [
                {
                    "from": [
                        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": INGRESS_NAMESPACE}}}
                    ],
                    "ports": [{"protocol": "TCP", "port": HTTP_PORT}],
                }
            ],
            "egress": [
                {
                    "to": [
                        {
                            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                        }
                    ],
                    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                },
                {
                    "to": [
                        {"podSelector": {"matchLabels": {"strimzi.io/cluster": "hubnet", "strimzi.io/kind": "Kafka"}}}
                    ],
                    "ports": [{"protocol": "TCP", "port": KAFKA_PORT}],
                },
                keycloak_egress,
                *(
                    {
                        "to": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": f"hubnet-{api}"}}}],
                        "ports": [{"protocol": "TCP", "port": HTTP_PORT}],
                    }
                    for api in APIS
                ),
            ],
        },
    }
