"""Every overlay renders with kustomize, and every object in it is valid for its kind: built-in
kinds against the Kubernetes schemas, custom resources against their operator's CRD."""

import json

import pytest
import yaml

from hubnet_common.ops.cli import commands
from hubnet_common.ops.cli.main import parser
from hubnet_common.ops.cli.migrate import migration_dirs
from hubnet_common.ops.partners import PARTNERS_FILE_VARIABLE, network_seed
from tests.k8s.manifests import CRDS, K8S, OVERLAYS, ROOT, load_module, named, of_kind, render, schema_errors

NAMESPACES = {"dev": "hubnet-dev", "prod": "hubnet"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_renders_and_every_object_validates(overlay):
    objects = render(overlay)
    assert {o["kind"] for o in objects} >= {
        "Namespace",
        "Kafka",
        "KafkaNodePool",
        "KafkaTopic",
        "KafkaUser",
        "Cluster",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "ScaledObject",
        "TriggerAuthentication",
        "ServiceMonitor",
        "ConfigMap",
        "Keycloak",
        "KeycloakRealmImport",
        "Ingress",
    }
    assert [e for o in objects for e in schema_errors(o)] == []
    assert {o["metadata"].get("namespace") for o in objects if o["kind"] != "Namespace"} == {NAMESPACES[overlay]}


def test_the_crds_come_from_the_shared_folder_and_strimzi_serves_only_v1():
    assert CRDS.resolve() == (ROOT.parent / "shared" / "crds").resolve() and CRDS.is_dir()
    assert not (ROOT / "deploy" / "k8s" / "crds").exists()
    kafka_crd = yaml.safe_load((CRDS / "strimzi" / "040-Crd-kafka.yaml").read_text())
    assert [v["name"] for v in kafka_crd["spec"]["versions"] if v["served"]] == ["v1"]


def test_validation_refuses_an_old_api_version_and_a_misspelt_field():
    objects = render("dev")
    kafka, deployment = named(objects, "Kafka", "hubnet"), named(objects, "Deployment", "hubnet-referrals")
    kafka["apiVersion"] = "kafka.strimzi.io/v1beta2"
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    user = named(objects, "KafkaUser", "hubnet-events")
    user["spec"]["authorization"]["acls"][0]["resource"]["patternTyp"] = "prefix"
    assert "no schema for kafka.strimzi.io/v1beta2 Kafka" in " ".join(schema_errors(kafka))
    assert "'readinesProbe' was unexpected" in " ".join(schema_errors(deployment))
    assert "'patternTyp' was unexpected" in " ".join(schema_errors(user))
    realm_import = named(objects, "KeycloakRealmImport", "hubnet")
    realm_import["spec"]["realm"]["clients"][0]["publicClinet"] = False
    assert "'publicClinet' was unexpected" in " ".join(schema_errors(realm_import))


def test_generated_manifests_are_up_to_date():
    generate = load_module(K8S / "generate.py", "hubnet_k8s_generate")
    stale = [
        str(path.relative_to(ROOT))
        for path, text in generate.files().items()
        if not path.exists() or path.read_text() != text
    ]
    assert stale == [], "run `.venv/bin/python deploy/k8s/generate.py`"


def test_prod_runs_three_brokers_across_zones_with_durable_topics():
    objects = render("prod")
    [pool] = of_kind(objects, "KafkaNodePool")
    assert pool["spec"]["replicas"] == 3 and set(pool["spec"]["roles"]) == {"controller", "broker"}
    [term] = pool["spec"]["template"]["pod"]["affinity"]["podAntiAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"
    ]
    assert term["topologyKey"] == "topology.kubernetes.io/zone"
    kafka = named(objects, "Kafka", "hubnet")["spec"]["kafka"]
    assert kafka["rack"]["topologyKey"] == "topology.kubernetes.io/zone"
    assert kafka["config"]["default.replication.factor"] == 3 and kafka["config"]["min.insync.replicas"] == 2
    for topic in of_kind(objects, "KafkaTopic"):
        assert (topic["spec"]["replicas"], topic["spec"]["config"]["min.insync.replicas"]) == (3, "2"), topic[
            "metadata"
        ]


def test_dev_runs_one_broker():
    objects = render("dev")
    [pool] = of_kind(objects, "KafkaNodePool")
    assert pool["spec"]["replicas"] == 1
    assert {t["spec"]["replicas"] for t in of_kind(objects, "KafkaTopic")} == {1}


def test_one_database_per_service_and_keycloak_and_backups_in_prod():
    for overlay in OVERLAYS:
        clusters = {c["metadata"]["name"]: c for c in of_kind(render(overlay), "Cluster")}
        assert set(clusters) == {"referrals-db", "events-db", "notifications-db", "keycloak-db"}
        assert {c["spec"]["bootstrap"]["initdb"]["database"] for c in clusters.values()} == {
            "referrals",
            "events",
            "notifications",
            "keycloak",
        }
    prod = render("prod")
    for cluster in of_kind(prod, "Cluster"):
        assert cluster["spec"]["backup"]["barmanObjectStore"]["destinationPath"].startswith("s3://")
        assert cluster["spec"]["instances"] == 3
    assert {b["spec"]["cluster"]["name"] for b in of_kind(prod, "ScheduledBackup")} == {
        c["metadata"]["name"] for c in of_kind(prod, "Cluster")
    }
    assert of_kind(render("dev"), "ScheduledBackup") == []


@pytest.mark.parametrize("service", ["referrals", "events", "notifications"])
def test_migrations_run_before_the_service_serves(service):
    """An init container of the same image applies the service's own migrations (`hubnet admin
    migrate`, the folders its bootstrap names); the service container starts only after it succeeded."""
    pod = named(render("prod"), "Deployment", f"hubnet-{service}")["spec"]["template"]["spec"]
    [init] = pod["initContainers"]
    assert init["command"] == ["hubnet", "admin", "migrate", service]
    assert init["image"] == pod["containers"][0]["image"]
    assert parser().parse_args(init["command"][1:]).run is commands.migrate
    bootstrap = __import__(f"hubnet_{service}.bootstrap", fromlist=["spec"])
    assert migration_dirs(service) == list(bootstrap.spec().migrations)
    assert all(d.is_dir() and any(d.glob("*.sql")) for d in migration_dirs(service))


def test_a_partner_added_to_the_partners_file_is_rendered_with_its_topic_user_and_clients(monkeypatch, tmp_path):
    network = json.loads(network_seed().read_text(encoding="utf-8"))
    network["partners"].append({"id": "arbetsformedlingen", "name": "Arbetsförmedlingen"})
    partners_file = tmp_path / "network.json"
    partners_file.write_text(json.dumps(network), encoding="utf-8")
    monkeypatch.setenv(PARTNERS_FILE_VARIABLE, str(partners_file))
    generate = load_module(K8S / "generate.py", "hubnet_k8s_generate")
    rendered = {
        path.relative_to(K8S).as_posix(): list(yaml.safe_load_all(text)) for path, text in generate.files().items()
    }
    topics = {o["metadata"]["name"]: o for o in rendered["base/kafka/topics.yaml"]}
    users = {o["metadata"]["name"]: o for o in rendered["base/kafka/users.yaml"]}
    [realm] = [o for o in rendered["base/identity/realm.yaml"] if o["kind"] == "KeycloakRealmImport"]
    assert (
        topics["partner.arbetsformedlingen.replies.v1"]["spec"]["topicName"] == "partner.arbetsformedlingen.replies.v1"
    )
    acls = users["partner-arbetsformedlingen"]["spec"]["authorization"]["acls"]
    assert {a["resource"]["name"] for a in acls if "Read" in a["operations"]} >= {
        "partner.arbetsformedlingen.replies.v1"
    }
    assert {a["resource"]["name"] for a in acls if "Write" in a["operations"]} == {
        "referral.commands.v1",
        "hubevent.commands.v1",
        "notification.commands.v1",
    }
    clients = {c["clientId"] for c in realm["spec"]["realm"]["clients"]}
    assert {"partner-arbetsformedlingen", "portal-arbetsformedlingen"} <= clients
    assert "arbetsformedlingen" in {g["name"] for g in realm["spec"]["realm"]["groups"]}
