"""The policy rules hold for every overlay, and each of them reports a manifest that breaks it."""

import pytest

from tests.k8s import policy
from tests.k8s.manifests import OVERLAYS, named, of_kind, render


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_rule_holds(overlay):
    assert policy.violations(render(overlay)) == []


def _container(objects, name="hubnet-referrals"):
    return named(objects, "Deployment", name)["spec"]["template"]["spec"]["containers"][0]


def drop_readiness(objects):
    del _container(objects)["readinessProbe"]


def drop_limits(objects):
    del _container(objects, "hubnet-events")["resources"]["limits"]


def run_as_root(objects):
    pod = named(objects, "Deployment", "hubnet-notifications")["spec"]["template"]["spec"]
    pod["initContainers"][0]["securityContext"]["runAsNonRoot"] = False


def latest_tag(objects):
    _container(objects)["image"] = "ghcr.io/hubnet/hubnet:latest"


def more_partitions(objects):
    named(objects, "KafkaTopic", "referral.commands.v1.dlq")["spec"]["partitions"] = 3


def compact_facts(objects):
    named(objects, "KafkaTopic", "referral.events.v1")["spec"]["config"]["cleanup.policy"] = "compact"


def missing_topic(objects):
    objects.remove(named(objects, "KafkaTopic", "partner.brg.replies.v1"))


def partner_reads_commands(objects):
    acls = named(objects, "KafkaUser", "partner-brg")["spec"]["authorization"]["acls"]
    acls.append(
        {
            "resource": {"type": "topic", "name": "referral.commands.v1", "patternType": "literal"},
            "operations": ["Read"],
        }
    )


def service_loses_its_group(objects):
    acls = named(objects, "KafkaUser", "hubnet-events")["spec"]["authorization"]["acls"]
    acls[:] = [a for a in acls if a["resource"]["type"] != "group"]


def too_many_replicas(objects):
    named(objects, "ScaledObject", "hubnet-events")["spec"]["maxReplicaCount"] = 4


def no_pdb(objects):
    objects.remove(named(objects, "PodDisruptionBudget", "hubnet-referrals"))


def egress_anywhere(objects):
    named(objects, "NetworkPolicy", "hubnet-referrals")["spec"]["egress"].append(
        {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}
    )


def webhooks_reach_inside(objects):
    policy = named(objects, "NetworkPolicy", "hubnet-notifications")
    for rule in policy["spec"]["egress"]:
        for peer in rule.get("to", []):
            if "ipBlock" in peer:
                peer["ipBlock"].pop("except", None)


def webhooks_to_private_addresses(objects):
    next(o for o in objects if o["kind"] == "ConfigMap")["data"]["HUBNET_WEBHOOK_ALLOW_PRIVATE"] = "true"


def partner_unthrottled(objects):
    del named(objects, "KafkaUser", "partner-brg")["spec"]["quotas"]


def _realm(objects):
    return next(o for o in objects if o["kind"] == "KeycloakRealmImport")["spec"]


def _client(objects, client_id):
    return next(c for c in _realm(objects)["realm"]["clients"] if c["clientId"] == client_id)


def keycloak_management_port(objects):
    named(objects, "NetworkPolicy", "hubnet-events")["spec"]["egress"].append(
        {"to": [{"podSelector": {"matchLabels": policy.KEYCLOAK_PODS}}], "ports": [{"protocol": "TCP", "port": 9000}]}
    )


def no_issuer(objects):
    env = _container(objects)["env"]
    env[:] = [e for e in env if e["name"] != "HUBNET_OIDC_ISSUER"]


def keycloak_moved(objects):
    named(objects, "Keycloak", "hubnet-keycloak")["spec"]["hostname"]["hostname"] = "https://login.example.org"


def scrape_without_token(objects):
    del named(objects, "ServiceMonitor", "hubnet-events")["spec"]["endpoints"][0]["oauth2"]


def partner_without_client(objects):
    _realm(objects)["realm"]["clients"].remove(_client(objects, "partner-brg"))


def partner_claims_another(objects):
    for mapper in _client(objects, "partner-brg")["protocolMappers"]:
        if mapper["config"].get("claim.name") == "partner":
            mapper["config"]["claim.value"] = "poseidon"


def portal_without_pkce(objects):
    del _client(objects, "portal-poseidon")["attributes"]["pkce.code.challenge.method"]


def staff_password(objects):
    _realm(objects)["realm"]["users"][0]["credentials"] = [{"type": "password", "value": "sommar2026"}]


def secret_in_clear(objects):
    _client(objects, "hubnet-monitoring")["secret"] = "hunter2"


def placeholder_from_nowhere(objects):
    del _realm(objects)["placeholders"]["PARTNER_BRG_CLIENT_SECRET"]


BROKEN = [
    (drop_readiness, "hubnet-referrals/referrals: readinessProbe is None, not /readyz"),
    (drop_limits, "hubnet-events/events: no limits.cpu"),
    (run_as_root, "hubnet-notifications/migrate: runAsNonRoot is not true"),
    (latest_tag, "image ghcr.io/hubnet/hubnet:latest has no fixed tag"),
    (more_partitions, "KafkaTopic referral.commands.v1.dlq: 3 partitions, topics.py says 1"),
    (compact_facts, "KafkaTopic referral.events.v1: cleanup.policy is 'compact', topics.py says 'delete'"),
    (missing_topic, "topic partner.brg.replies.v1 is in topics.py but has no KafkaTopic"),
    (partner_reads_commands, "KafkaUser partner-brg: extra ACL ('topic', 'referral.commands.v1', 'literal', 'Read'"),
    (service_loses_its_group, "KafkaUser hubnet-events: missing ACL ('group', 'hubnet-events-', 'prefix', 'Read'"),
    (partner_unthrottled, "KafkaUser partner-brg: quotas None, access.py says {'producerByteRate': 2097152"),
    (too_many_replicas, "hubnet-events: maxReplicaCount 4 > 3 partitions of"),
    (no_pdb, "hubnet-referrals: no PodDisruptionBudget"),
    (egress_anywhere, "hubnet-referrals: egress to {'ipBlock': {'cidr': '0.0.0.0/0'}} on any port is not allowed"),
    (webhooks_reach_inside, "hubnet-notifications: egress to 0.0.0.0/0 reaches ['10.0.0.0/8'"),
    (webhooks_to_private_addresses, ": sets HUBNET_WEBHOOK_ALLOW_PRIVATE"),
    (keycloak_management_port, "hubnet-events: egress to {'podSelector': {'matchLabels': {'app': 'keycloak'"),
    (no_issuer, "hubnet-referrals/referrals: HUBNET_OIDC_ISSUER is None, not https://"),
    (keycloak_moved, "hubnet-events/events: HUBNET_OIDC_ISSUER is 'https://id.hubnet.example.org/realms/hubnet', not"),
    (scrape_without_token, "ServiceMonitor hubnet-events: scrapes without a token of https://"),
    (partner_without_client, "partner brg: no confidential client partner-brg"),
    (partner_claims_another, "partner brg: tokens of partner-brg do not say partner=brg"),
    (portal_without_pkce, "partner poseidon: no public PKCE client portal-poseidon"),
    (staff_password, "realm import: credentials at /users/0/credentials"),
    (secret_in_clear, "realm import: a client secret in clear at /clients/"),
    (placeholder_from_nowhere, "realm import: placeholder PARTNER_BRG_CLIENT_SECRET at /clients/"),
]


@pytest.mark.parametrize(("breaking", "reported"), BROKEN, ids=[b.__name__ for b, _ in BROKEN])
def test_a_broken_rule_is_reported(breaking, reported):
    objects = render("prod")
    breaking(objects)
    found = policy.violations(objects)
    assert any(v.startswith(reported) or reported in v for v in found), found


def test_replicas_stay_within_partitions():
    for overlay in OVERLAYS:
        objects = render(overlay)
        partitions = {t["spec"]["topicName"]: t["spec"]["partitions"] for t in of_kind(objects, "KafkaTopic")}
        for scaled in of_kind(objects, "ScaledObject"):
            topics = [t["metadata"]["topic"] for t in scaled["spec"]["triggers"]]
            assert 1 <= scaled["spec"]["maxReplicaCount"] <= min(partitions[t] for t in topics)
