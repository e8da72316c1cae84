"""A partner system in another language (tests/conformance/partner/, TypeScript on Node) that knows
hubnet only from docs/contract/ and docs/openapi/: it checks itself against the vectors, then logs in
as its own Kafka user and OAuth client, reads and verifies the directory, records a consent, opens
its copy of the resident's data key and creates a referral on the real broker and referrals service.

It prints one JSON line per step; this test reads them and checks from the Python side, over the
referrals HTTP API, that the referral it made is there as it said."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from hubnet_common.ops.local.credentials import password
from hubnet_common.ops.local.identities import issuer, local_secret, partner_tokens
from hubnet_common.sdk.keys import read_key
from hubnet_common.sdk.sealing import open_contact, open_with_data_key
from tests.e2e.stack import data_key_of
from tests.integration.served import get, served_alone

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PARTNER_DIR = Path(__file__).parent / "partner"
# a partner whose system other tests seldom send as: its replies topic is all this test's
PARTNER = "gardstensbostader"
NEED = "Vill börja arbeta inom vården, gärna på kvällstid."
STEPS = ("vectors", "kafka-login", "token", "directory", "encryption-key", "consent", "data-key", "referral", "fact")


@pytest.fixture(scope="module")
def node_partner() -> Path:
    """The partner built from its lock file, as `make test` installs it (npm ci when it has not)."""
    npm = shutil.which("npm")
    assert npm is not None, "Node.js and npm are needed for tests/conformance (apt-get install nodejs npm)"
    if not (PARTNER_DIR / "node_modules" / ".package-lock.json").exists():
        subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=PARTNER_DIR, check=True)
    subprocess.run([npm, "run", "--silent", "build"], cwd=PARTNER_DIR, check=True)
    return PARTNER_DIR / "dist" / "main.js"


@pytest.fixture(scope="module")
async def referrals(new_database, kafka_bootstrap):
    async with served_alone("referrals", new_database, kafka_bootstrap, "conformance") as (url, _):
        yield url


def partner_environment(kafka_bootstrap: str, referrals_url: str, keys_dir: Path) -> dict[str, str]:
    """All the partner is given, as an integrator would be at onboarding: nothing of hubnet's own
    settings (the process starts with an empty environment but for PATH)."""
    return {
        "PATH": os.environ["PATH"],
        "HUBNET_CONTRACT_DIR": str(ROOT / "docs" / "contract"),
        "PARTNER_ID": PARTNER,
        "HUBNET_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "HUBNET_TOPIC_PREFIX": os.environ["HUBNET_TOPIC_PREFIX"],
        "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "KAFKA_PASSWORD": password(f"partner-{PARTNER}"),
        "OIDC_ISSUER": issuer(),
        "OIDC_CLIENT_SECRET": local_secret(f"partner-{PARTNER}"),
        "REFERRALS_URL": referrals_url,
        "PARTNER_SIGNING_KEY": str(keys_dir / f"partner-{PARTNER}.ed25519.key"),
        "PARTNER_X25519_KEY": str(keys_dir / f"partner-{PARTNER}.x25519.key"),
        "REFERRALS_SIGNING_PUB": str(keys_dir / "service-referrals.ed25519.pub"),
        "REFERRALS_X25519_PUB": str(keys_dir / "service-referrals.x25519.pub"),
        "REFERRAL_NEED": NEED,
    }


def steps_of(stdout: str) -> dict[str, dict]:
    return {step["step"]: step for step in map(json.loads, filter(None, stdout.splitlines()))}


async def test_a_partner_in_typescript_refers_a_resident_from_the_contract_alone(
    node_partner, referrals, kafka_bootstrap, network_keys
):
    run = await asyncio.to_thread(
        subprocess.run,
        ["node", str(node_partner)],
        env=partner_environment(kafka_bootstrap, referrals, network_keys),
        capture_output=True,
        text=True,
        timeout=100,
    )
    steps = steps_of(run.stdout)
    assert "failed" not in steps, steps["failed"]["error"]
    assert run.returncode == 0, run.stderr
    assert list(steps) == list(STEPS)
    assert steps["vectors"]["checked"] > 0
    assert steps["directory"]["verified"] > 0
    consent, referral, fact = steps["consent"], steps["referral"], steps["fact"]
    assert referral["answer"] == "se.hubnet.command.accepted.v1"
    assert fact["type"] == "se.hubnet.referral.requested.v1"
    assert fact["signed_by"] == "urn:hubnet:service:referrals"
    assert (steps["data-key"]["verified"], steps["data-key"]["bytes"]) == (True, 32)

    status, stored = await get(referrals, f"/referral?id={referral['referral_id']}", partner_tokens(PARTNER).token())
    assert status == 200, stored
    assert stored["participant_ref"] == consent["participant_ref"]
    assert stored["consent_id"] == consent["consent_id"]
    assert (stored["service_id"], stored["hub_id"]) == (steps["directory"]["service_id"], steps["directory"]["hub_id"])
    assert stored["status"] == fact["status"] == "requested"
    assert stored["need"].startswith("sealed:v2:")  # the service holds it only as sealed

    # the same data key as the SDK's copy, and what the partner sealed opens with it
    own_key = read_key(network_keys / f"partner-{PARTNER}.x25519.key")
    data_key = await asyncio.to_thread(data_key_of, referrals, consent["participant_ref"], PARTNER, own_key)
    assert hashlib.sha256(data_key).hexdigest() == steps["data-key"]["sha256"]
    assert open_with_data_key(stored["need"], data_key) == NEED
    assert open_contact(stored["sealed_contact"], data_key).name == "Amina Example"
