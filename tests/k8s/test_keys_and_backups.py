"""What a stolen backup or a compromised migration step would give (docs/adr/0011-custodian-rotation-and-restores.md):
the private keys reach only the service containers, never the migration init containers, the
custodian and pseudonymisation keys only the referrals service's, and every database's backups are
encrypted and kept a week at most."""

import re

import pytest

from tests.k8s.manifests import OVERLAYS, of_kind, render

REFERRALS_ONLY = {"hubnet-referrals-custodian-key", "hubnet-referrals-pseudonym-key"}
PRIVATE_KEY_ENV = re.compile(r"^HUBNET_.*KEY_FILE$")
MAX_RETENTION_DAYS = 7
DAYS = {"d": 1, "w": 7, "m": 31}


def key_secrets(pod: dict, container: dict) -> set[str]:
    """The Secrets of private keys a container mounts (every Secret volume but the Kafka CA)."""
    secret_volumes = {
        v["name"]: v["secret"]["secretName"]
        for v in pod["volumes"]
        if "secret" in v and not v["secret"]["secretName"].endswith("cluster-ca-cert")
    }
    return {secret_volumes[m["name"]] for m in container.get("volumeMounts", []) if m["name"] in secret_volumes}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_migration_init_container_gets_a_private_key(overlay):
    for deployment in of_kind(render(overlay), "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        for init in pod.get("initContainers", []):
            assert key_secrets(pod, init) == set(), f"{deployment['metadata']['name']}: {init['name']} mounts keys"
            assert not [e["name"] for e in init.get("env", []) if PRIVATE_KEY_ENV.match(e["name"])]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_custodian_and_pseudonymisation_keys_reach_the_referrals_service_alone(overlay):
    mounted = {}
    for deployment in of_kind(render(overlay), "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        for container in pod["containers"] + pod.get("initContainers", []):
            mounted[(deployment["metadata"]["name"], container["name"])] = key_secrets(pod, container) & REFERRALS_ONLY
    assert {where for where, keys in mounted.items() if keys} == {("hubnet-referrals", "referrals")}
    assert mounted[("hubnet-referrals", "referrals")] == REFERRALS_ONLY


def test_every_database_backup_is_encrypted_and_kept_a_week_at_most():
    clusters = of_kind(render("prod"), "Cluster")
    assert {c["metadata"]["name"] for c in clusters} == {"referrals-db", "events-db", "notifications-db", "keycloak-db"}
    for cluster in clusters:
        backup = cluster["spec"]["backup"]
        store = backup["barmanObjectStore"]
        assert store["data"].get("encryption") in ("AES256", "aws:kms"), cluster["metadata"]["name"]
        assert store["wal"].get("encryption") in ("AES256", "aws:kms"), cluster["metadata"]["name"]
        number, unit = re.fullmatch(r"([1-9][0-9]*)([dwm])", backup["retentionPolicy"]).groups()
        assert int(number) * DAYS[unit] <= MAX_RETENTION_DAYS, cluster["metadata"]["name"]


@pytest.mark.parametrize("service", ["referrals", "events", "notifications"])
def test_the_migration_step_finds_its_migrations_without_any_key(service, monkeypatch, tmp_path):
    from hubnet_common.ops.cli.migrate import migration_dirs

    monkeypatch.setenv("HUBNET_KEYS_DIR", str(tmp_path / "no-keys"))  # what the init container has
    found = migration_dirs(service)  # building the service would read its keys, and fail
    assert found and all(any(directory.glob("*.sql")) for directory in found)
