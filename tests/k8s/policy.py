"""The rules every rendered hubnet deployment keeps. Each check takes the rendered objects and
returns what breaks its rule, one sentence per violation ([] when all is well)."""

from __future__ import annotations

import re

from hubnet_common.ops.access import SERVICES, principals
from hubnet_common.ops.partners import deployment_partners, deployment_topics
from hubnet_common.service.runtime import consumer_group
from hubnet_notifications.domain.webhook_address import CLUSTER_RANGES, PRIVATE_V4
from tests.k8s.manifests import of_kind

GROUP_PREFIX, TOPIC_PREFIX = "hubnet", ""
# Keycloak's pods, as its operator labels them (the Keycloak CR is hubnet-keycloak).
KEYCLOAK_PODS = {"app": "keycloak", "app.kubernetes.io/instance": "hubnet-keycloak"}
KEYCLOAK_HTTPS, KEYCLOAK_CLUSTER_PORTS = 8443, {7800, 57800}


def _workloads(objects: list[dict]) -> list[tuple[str, dict, dict]]:
    """(deployment name, pod spec, container) for every container and init container."""
    out = []
    for deployment in of_kind(objects, "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        for container in pod.get("initContainers", []) + pod.get("containers", []):
            out.append((deployment["metadata"]["name"], pod, container))
    return out


def _is_portal(deployment: dict) -> bool:
    return deployment["metadata"].get("labels", {}).get("app.kubernetes.io/component") == "portal"


def probes(objects: list[dict]) -> list[str]:
    """Services are ready on /readyz (their dependencies answer); a staff portal, which has none of
    its own to wait for, on /healthz."""
    wrong = []
    for deployment in of_kind(objects, "Deployment"):
        ready = "/healthz" if _is_portal(deployment) else "/readyz"
        for c in deployment["spec"]["template"]["spec"]["containers"]:
            for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", ready)):
                got = c.get(probe, {}).get("httpGet", {}).get("path")
                if got != path:
                    wrong.append(f"{deployment['metadata']['name']}/{c['name']}: {probe} is {got!r}, not {path}")
    return wrong


def limits(objects: list[dict]) -> list[str]:
    return [
        f"{name}/{c['name']}: no {kind}.{resource}"
        for name, _, c in _workloads(objects)
        for kind in ("requests", "limits")
        for resource in ("cpu", "memory")
        if not c.get("resources", {}).get(kind, {}).get(resource)
    ]


def non_root(objects: list[dict]) -> list[str]:
    wrong = []
    for name, pod, c in _workloads(objects):
        pod_sc, sc = pod.get("securityContext", {}), c.get("securityContext", {})
        if sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is not True:
            wrong.append(f"{name}/{c['name']}: runAsNonRoot is not true")
        if sc.get("runAsUser", pod_sc.get("runAsUser")) == 0:
            wrong.append(f"{name}/{c['name']}: runs as uid 0")
        if sc.get("readOnlyRootFilesystem") is not True:
            wrong.append(f"{name}/{c['name']}: root filesystem is writable")
        if sc.get("allowPrivilegeEscalation") is not False:
            wrong.append(f"{name}/{c['name']}: privilege escalation allowed")
        if "ALL" not in sc.get("capabilities", {}).get("drop", []) or sc.get("capabilities", {}).get("add"):
            wrong.append(f"{name}/{c['name']}: capabilities not all dropped")
    return wrong


def image_tags(objects: list[dict]) -> list[str]:
    wrong = []
    for name, _, c in _workloads(objects):
        image = c["image"]
        tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else None
        if "@sha256:" not in image and (tag is None or tag == "latest"):
            wrong.append(f"{name}/{c['name']}: image {image} has no fixed tag")
    return wrong


def topics(objects: list[dict]) -> list[str]:
    """The KafkaTopics are exactly the code's topic list, with its partitions and settings."""
    want = {t.name: t for t in deployment_topics()}
    have = {o["spec"].get("topicName", o["metadata"]["name"]): o["spec"] for o in of_kind(objects, "KafkaTopic")}
    wrong = [f"topic {n} is in topics.py but has no KafkaTopic" for n in sorted(want.keys() - have.keys())]
    wrong += [f"KafkaTopic {n} is not in topics.py" for n in sorted(have.keys() - want.keys())]
    for name in sorted(want.keys() & have.keys()):
        topic, spec = want[name], have[name]
        if spec.get("partitions") != topic.partitions:
            wrong.append(f"KafkaTopic {name}: {spec.get('partitions')} partitions, topics.py says {topic.partitions}")
        config = {k: str(v) for k, v in spec.get("config", {}).items()}
        for key, value in topic.configs.items():
            if config.get(key) != value:
                wrong.append(f"KafkaTopic {name}: {key} is {config.get(key)!r}, topics.py says {value!r}")
    return wrong


def _acl_set(spec: dict) -> set[tuple]:
    return {
        (
            a["resource"]["type"],
            a["resource"]["name"],
            a["resource"].get("patternType", "literal"),
            op,
            a.get("type", "allow"),
        )
        for a in spec.get("authorization", {}).get("acls", [])
        for op in a["operations"]
    }


def acls(objects: list[dict]) -> list[str]:
    """One KafkaUser per principal of `hubnet_common.ops.access`, with exactly its ACLs."""
    want = {
        p.user: {(a.resource, a.name, a.pattern, op, "allow") for a in p.acls for op in a.operations}
        for p in principals(topic_prefix=TOPIC_PREFIX, group_prefix=GROUP_PREFIX)
    }
    have = {o["metadata"]["name"]: _acl_set(o["spec"]) for o in of_kind(objects, "KafkaUser")}
    wrong = [f"principal {u} has no KafkaUser" for u in sorted(want.keys() - have.keys())]
    wrong += [f"KafkaUser {u} is not a principal of access.py" for u in sorted(have.keys() - want.keys())]
    for user in sorted(want.keys() & have.keys()):
        wrong += [f"KafkaUser {user}: extra ACL {acl}" for acl in sorted(have[user] - want[user])]
        wrong += [f"KafkaUser {user}: missing ACL {acl}" for acl in sorted(want[user] - have[user])]
    return wrong


def quotas(objects: list[dict]) -> list[str]:
    """Every partner's KafkaUser has the client quotas of `access.QUOTAS`; the others have none."""
    want = {
        p.user: (
            {
                "producerByteRate": p.quota.producer_byte_rate,
                "consumerByteRate": p.quota.consumer_byte_rate,
                "requestPercentage": p.quota.request_percentage,
            }
            if p.quota
            else None
        )
        for p in principals(topic_prefix=TOPIC_PREFIX, group_prefix=GROUP_PREFIX)
    }
    have = {o["metadata"]["name"]: o["spec"].get("quotas") for o in of_kind(objects, "KafkaUser")}
    return [
        f"KafkaUser {user}: quotas {have[user]}, access.py says {want[user]}"
        for user in sorted(want.keys() & have.keys())
        if have[user] != want[user]
    ]


def scaling(objects: list[dict]) -> list[str]:
    """Each service scales on the lag of exactly the groups it consumes with, never beyond the
    partitions of a topic it consumes (extra consumers would sit idle)."""
    partitions = {
        o["spec"].get("topicName", o["metadata"]["name"]): o["spec"]["partitions"]
        for o in of_kind(objects, "KafkaTopic")
    }
    scaled = {o["spec"]["scaleTargetRef"]["name"]: o["spec"] for o in of_kind(objects, "ScaledObject")}
    wrong = []
    for service in SERVICES:
        name = f"hubnet-{service.name}"
        spec = scaled.get(name)
        if spec is None:
            wrong.append(f"{name}: no ScaledObject")
            continue
        triggers = {
            (t["metadata"].get("topic"), t["metadata"].get("consumerGroup"))
            for t in spec["triggers"]
            if t["type"] == "kafka"
        }
        expected = {(t.name, consumer_group(GROUP_PREFIX, service.name, t.name)) for t in service.consumes}
        if triggers != expected:
            wrong.append(f"{name}: scales on {sorted(triggers)}, consumes {sorted(expected)}")
        top = spec.get("maxReplicaCount", 100)  # KEDA's default
        for topic, _ in triggers:
            if top > partitions.get(topic, 0):
                wrong.append(f"{name}: maxReplicaCount {top} > {partitions.get(topic, 0)} partitions of {topic}")
    for deployment in of_kind(objects, "Deployment"):
        if _is_portal(deployment):  # one pod: its sessions are in its memory (docs/adr/0014-staff-portal.md)
            if deployment["spec"].get("replicas") != 1 or deployment["spec"]["strategy"]["type"] != "Recreate":
                wrong.append(f"{deployment['metadata']['name']}: not one pod, replaced rather than rolled")
        elif "replicas" in deployment["spec"]:
            wrong.append(f"{deployment['metadata']['name']}: sets replicas, which its ScaledObject owns")
    return wrong


def companions(objects: list[dict]) -> list[str]:
    """Every service Deployment has its Service, PodDisruptionBudget, NetworkPolicy and ServiceMonitor;
    a staff portal (one pod, no metrics) its Service, NetworkPolicy and Ingress."""
    wrong = []
    for deployment in of_kind(objects, "Deployment"):
        name = deployment["metadata"]["name"]
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        if _is_portal(deployment):
            if not any(_selects(o["spec"]["podSelector"], labels) for o in of_kind(objects, "NetworkPolicy")):
                wrong.append(f"{name}: no NetworkPolicy")
            if not any(o["metadata"]["name"] == name for o in of_kind(objects, "Ingress")):
                wrong.append(f"{name}: no Ingress")
            continue
        for kind in ("PodDisruptionBudget", "NetworkPolicy"):
            selects = [
                o
                for o in of_kind(objects, kind)
                if _selects(o["spec"].get("selector", o["spec"].get("podSelector", {})), labels)
            ]
            if not selects:
                wrong.append(f"{name}: no {kind}")
        monitors = [o for o in of_kind(objects, "ServiceMonitor") if _selects(o["spec"]["selector"], labels)]
        if not any(e.get("path") == "/metrics" for m in monitors for e in m["spec"]["endpoints"]):
            wrong.append(f"{name}: no ServiceMonitor scraping /metrics")
    return wrong


def _selects(selector: dict, labels: dict) -> bool:
    match = selector.get("matchLabels", {})
    return bool(match) and all(labels.get(k) == v for k, v in match.items())


def egress(objects: list[dict]) -> list[str]:
    """Services talk to DNS, the Kafka brokers, their own database and Keycloak's HTTPS (the realm's
    keys); only notifications goes outside the cluster, and only to SMTP and HTTPS (webhooks).
    Keycloak talks to DNS, its own database and its own pods (its cache cluster). A staff portal
    talks to DNS, the brokers, Keycloak and the services' HTTP APIs, and has no database."""
    wrong = []
    services_http = [{"app.kubernetes.io/name": f"hubnet-{s.name}"} for s in SERVICES]
    for policy in of_kind(objects, "NetworkPolicy"):
        name = policy["metadata"]["name"]
        service = name.removeprefix("hubnet-")
        portal = service.startswith("portal-")
        if "Egress" not in policy["spec"].get("policyTypes", []):
            wrong.append(f"{name}: egress is not restricted")
        for rule in policy["spec"].get("egress", []):
            ports = {p.get("port") for p in rule.get("ports", [])}
            for peer in rule.get("to", [{}]):
                pods = peer.get("podSelector", {}).get("matchLabels", {})
                if pods.get("k8s-app") == "kube-dns" and ports <= {53}:
                    continue
                if pods.get("strimzi.io/kind") == "Kafka" and ports == {9093}:
                    continue
                if pods == {"cnpg.io/cluster": f"{service}-db"} and ports == {5432} and not portal:
                    continue
                if portal and pods in services_http and ports == {8080}:
                    continue
                if pods == KEYCLOAK_PODS and service != "keycloak" and ports == {KEYCLOAK_HTTPS}:
                    continue
                if pods == KEYCLOAK_PODS and service == "keycloak" and ports and ports <= KEYCLOAK_CLUSTER_PORTS:
                    continue
                if service == "notifications" and "ipBlock" in peer and ports and ports <= {25, 465, 587, 2525, 443}:
                    inside = {*PRIVATE_V4, *(r for r in CLUSTER_RANGES if ":" not in r)}
                    if missing := inside - set(peer["ipBlock"].get("except", [])):
                        wrong.append(f"{name}: egress to {peer['ipBlock']['cidr']} reaches {sorted(missing)}")
                    continue
                wrong.append(f"{name}: egress to {peer or 'anywhere'} on {sorted(ports) or 'any port'} is not allowed")
    return wrong


def webhook_allowances(objects: list[dict]) -> list[str]:
    """The local stack's allowances (webhooks to private addresses, over http) never in a cluster."""
    wrong = []
    for kind in ("ConfigMap", "Deployment"):
        for obj in of_kind(objects, kind):
            text = str(obj)
            for setting in ("HUBNET_WEBHOOK_ALLOW_PRIVATE", "HUBNET_WEBHOOK_ALLOW_HTTP"):
                if setting in text:
                    wrong.append(f"{kind} {obj['metadata']['name']}: sets {setting}")
    return wrong


def _realm(objects: list[dict]) -> tuple[str | None, dict]:
    """The issuer the Keycloak CR and the realm import make (None when either is missing), and the import's spec."""
    keycloaks, imports = of_kind(objects, "Keycloak"), of_kind(objects, "KeycloakRealmImport")
    if len(keycloaks) != 1 or len(imports) != 1:
        return None, {}
    host = keycloaks[0]["spec"].get("hostname", {}).get("hostname", "")
    spec = imports[0]["spec"]
    if not host.startswith("https://"):
        return None, spec
    return f"{host.rstrip('/')}/realms/{spec['realm']['realm']}", spec


def _env(container: dict, name: str) -> str | None:
    return next((e.get("value") for e in container.get("env", []) if e["name"] == name), None)


def issuer(objects: list[dict]) -> list[str]:
    """One Keycloak with an https address and one realm import; every service container checks
    tokens of that realm (HUBNET_OIDC_ISSUER) and Prometheus scrapes with a token from it."""
    want, _ = _realm(objects)
    if want is None:
        return ["no Keycloak with an https hostname and one KeycloakRealmImport"]
    wrong = []
    for deployment in of_kind(objects, "Deployment"):
        if deployment["metadata"].get("labels", {}).get("app.kubernetes.io/component") != "service":
            continue
        for c in deployment["spec"]["template"]["spec"]["containers"]:
            if (got := _env(c, "HUBNET_OIDC_ISSUER")) != want:
                wrong.append(f"{deployment['metadata']['name']}/{c['name']}: HUBNET_OIDC_ISSUER is {got!r}, not {want}")
    for monitor in of_kind(objects, "ServiceMonitor"):
        for endpoint in monitor["spec"]["endpoints"]:
            oauth2 = endpoint.get("oauth2", {})
            if oauth2.get("tokenUrl") != f"{want}/protocol/openid-connect/token" or "name" not in oauth2.get(
                "clientSecret", {}
            ):
                wrong.append(f"ServiceMonitor {monitor['metadata']['name']}: scrapes without a token of {want}")
    return wrong


def realm_clients(objects: list[dict]) -> list[str]:
    """Each partner has its system's confidential client, whose tokens say which partner it is, and
    its portal's public client (code flow with PKCE)."""
    clients = {c["clientId"]: c for c in _realm(objects)[1].get("realm", {}).get("clients", [])}
    wrong = []
    for partner in deployment_partners():
        system, portal = clients.get(f"partner-{partner}"), clients.get(f"portal-{partner}")
        if system is None or system.get("publicClient") or not system.get("serviceAccountsEnabled"):
            wrong.append(f"partner {partner}: no confidential client partner-{partner}")
        elif not any(
            m["protocolMapper"] == "oidc-hardcoded-claim-mapper"
            and (m["config"].get("claim.name"), m["config"].get("claim.value")) == ("partner", partner)
            for m in system.get("protocolMappers", [])
        ):
            wrong.append(f"partner {partner}: tokens of partner-{partner} do not say partner={partner}")
        if (
            portal is None
            or not portal.get("publicClient")
            or portal.get("attributes", {}).get("pkce.code.challenge.method") != "S256"
        ):
            wrong.append(f"partner {partner}: no public PKCE client portal-{partner}")
    return wrong


_PLACEHOLDER = re.compile(r"^\$\{([A-Z][A-Z0-9_]*)\}$")


def _walk(value, path: str = ""):
    if isinstance(value, dict):
        for key, item in value.items():
            yield f"{path}/{key}", key, item
            yield from _walk(item, f"{path}/{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(item, f"{path}/{i}")


def realm_secrets(objects: list[dict]) -> list[str]:
    """The realm import holds no credential: no user's password (staff log in through a federated
    provider) and every client secret a placeholder filled from a Kubernetes Secret."""
    spec = _realm(objects)[1]
    declared = {name for name, source in spec.get("placeholders", {}).items() if source.get("secret", {}).get("name")}
    wrong = []
    for path, key, item in _walk(spec.get("realm", {})):
        if key == "credentials" and item:
            wrong.append(f"realm import: credentials at {path}")
        if key == "secret":
            found = _PLACEHOLDER.match(item) if isinstance(item, str) else None
            if found is None:
                wrong.append(f"realm import: a client secret in clear at {path}")
            elif found.group(1) not in declared:
                wrong.append(f"realm import: placeholder {found.group(1)} at {path} comes from no Secret")
    return wrong


RULES = (
    probes,
    limits,
    non_root,
    image_tags,
    topics,
    acls,
    quotas,
    scaling,
    companions,
    egress,
    webhook_allowances,
    issuer,
    realm_clients,
    realm_secrets,
)


def violations(objects: list[dict]) -> list[str]:
    return [v for rule in RULES for v in rule(objects)]
