"""A partner joins the running network with one operator command and no restart, sends its first
referral, and is suspended with another: its next command is refused (docs/adr/0015-onboarding-as-data.md).

The partner is a new one of this test's own (`test-<hex>`) on the shared local stack: its Kafka
user, ACLs and identity-provider clients are removed again at the end."""

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError

from hubnet_common.ops.local.credentials import login
from hubnet_common.ops.local.identities import issuer, local_secret
from hubnet_common.ops.local.partners import LocalPartnerClient
from hubnet_common.ops.local.watch import TopicWatcher
from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.identity import partner_source
from hubnet_common.sdk.keys import read_key, write_key_pair
from hubnet_common.sdk.messages.referral_commands import CreateReferral
from hubnet_common.sdk.messages.replies import CommandRejected
from hubnet_common.sdk.signing import Signer
from hubnet_common.sdk.tokens import ClientCredentials, TokenRefused
from hubnet_common.sdk.topics import replies_topic
from tests.e2e.stack import three_services
from tests.integration.conftest import rows, until
from tests.integration.referral_steps import accepted, consent, ref_of, referral

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
async def services(new_database, kafka_bootstrap, mail_sink, tmp_path_factory):
    port, _ = mail_sink
    logs = tmp_path_factory.mktemp("logs")
    async with three_services(new_database, kafka_bootstrap, port, logs, "onboard") as (dsns, local, _):
        yield dsns, local


@pytest.fixture
def newcomer(services, kafka_bootstrap, tmp_path):
    """A partner no deployment has heard of, its key pairs made now; taken out of the network at the end."""
    _, local = services
    partner_id = f"test-{uuid.uuid4().hex[:10]}"
    signing, _ = write_key_pair(tmp_path, f"partner-{partner_id}", "ed25519")
    sealing, _ = write_key_pair(tmp_path, f"partner-{partner_id}", "x25519")
    env = {
        **os.environ,
        "HUBNET_REFERRALS_URL": f"http://127.0.0.1:{local.ports['referrals']}",
        "HUBNET_KAFKA_BOOTSTRAP": kafka_bootstrap,
    }

    def hubnet(*args: str) -> subprocess.CompletedProcess:
        command = [str(Path(sys.executable).parent / "hubnet"), "admin", "partner", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    yield partner_id, signing, sealing, hubnet
    hubnet("remove", partner_id)


@pytest.mark.timeout(400)  # four operator commands, each logging in to the broker and the identity provider
async def test_a_partner_added_while_the_services_run_sends_its_first_referral_and_is_refused_once_suspended(
    services, newcomer, kafka_bootstrap, caplog
):
    dsns, _ = services
    partner_id, signing_key, sealing_key, hubnet = newcomer
    name = "Arbetsförmedlingen (test)"

    admission = ("add", partner_id, "--name", name, "--signing-key", str(signing_key))
    admission += ("--encryption-key", str(sealing_key))
    added = await asyncio.to_thread(hubnet, *admission)
    assert added.returncode == 0, added.stderr + added.stdout
    for step in ("directory:", "replies topic", "Kafka user", "ACLs", "client quotas", "identity provider"):
        assert step in added.stdout, added.stdout
    assert added.stdout.strip().endswith(f"partner {partner_id}: active")
    again = await asyncio.to_thread(hubnet, *admission)
    assert again.returncode == 0 and "already there" in again.stdout, again.stderr + again.stdout

    secret = local_secret(f"partner-{partner_id}")

    def its_login() -> ClientCredentials:
        return ClientCredentials(issuer(), f"partner-{partner_id}", secret)

    assert await asyncio.to_thread(its_login().token)  # its system logs in to the identity provider
    signer = Signer(read_key(signing_key.with_suffix(".key")))
    async with LocalPartnerClient(kafka_bootstrap, partner_id, signer=signer) as newcomer_client:
        given = consent()
        accepted(await newcomer_client.request(given))
        first = referral(given.consent_id, participant_ref=ref_of())
        accepted(await newcomer_client.request(first))
    [stored] = await rows(dsns["referrals"], "SELECT sender_partner_id FROM referrals WHERE id = $1", first.referral_id)
    assert stored["sender_partner_id"] == partner_id
    # the other services learnt of it from the directory, without a restart
    await until(
        dsns["events"], f"SELECT 1 FROM partner_standing WHERE partner_id = '{partner_id}' AND status = 'active'"
    )

    suspended = await asyncio.to_thread(hubnet, "suspend", partner_id)
    assert suspended.returncode == 0, suspended.stderr + suspended.stdout
    assert suspended.stdout.strip().endswith(f"partner {partner_id}: suspended")
    with pytest.raises(TokenRefused):  # its clients are disabled
        await asyncio.to_thread(its_login().token)

    # Its write ACLs are gone; a command of its, signed with its key, that still reaches the topic
    # (sent before, or through another login) is refused by the service.
    next_one = referral(given.consent_id, participant_ref=ref_of())
    envelope = Envelope.new(type=CreateReferral.ce_type, source=partner_source(partner_id), subject=next_one.subject())
    body, key = next_one.model_dump_json().encode(), next_one.subject()
    headers = signer.sign(next_one.topic, key.encode(), envelope.to_headers(), body)
    async with (
        TopicWatcher(kafka_bootstrap, [replies_topic(partner_id)]) as answers,
        LocalPartnerClient(kafka_bootstrap, "bostadsbolaget") as relay,
    ):
        await relay.send_raw(next_one.topic, body, key=key, headers=headers, sign=False)
        answer = await answers.wait_for(lambda s: getattr(s.body, "command_id", None) == envelope.id)
    assert isinstance(answer.body, CommandRejected) and answer.body.code == "partner-suspended"
    assert await rows(dsns["referrals"], "SELECT 1 FROM referrals WHERE id = $1", next_one.referral_id) == []

    broker_login = login(f"partner-{partner_id}")  # the password file goes with the partner
    removed = await asyncio.to_thread(hubnet, "remove", partner_id)
    assert removed.returncode == 0, removed.stderr + removed.stdout
    assert "identity provider: partner-" in removed.stdout
    with pytest.raises(TokenRefused):  # its system gets no token any more
        await asyncio.to_thread(its_login().token)
    caplog.clear()
    assert await _refused(kafka_bootstrap, broker_login)  # nor a login to the broker
    assert "SaslAuthenticationFailed" in caplog.text  # refused, not unreachable


async def _refused(bootstrap: str, credentials: dict) -> bool:
    """The broker takes up a changed login a moment later: True once it refuses this one (30 s at most)."""
    deadline = asyncio.get_running_loop().time() + 30
    while asyncio.get_running_loop().time() < deadline:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, request_timeout_ms=5000, **credentials)
        try:
            await asyncio.wait_for(producer.start(), 10)
        except KafkaConnectionError:
            return True
        except TimeoutError:
            pass
        finally:
            await producer.stop()
        await asyncio.sleep(0.5)
    return False
