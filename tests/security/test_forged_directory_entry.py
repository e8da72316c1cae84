"""Attack: write a directory entry on directory.v1 that swaps BRG's encryption key for the
attacker's, with a login that may write the topic (an operator's may, to replay dead letters),
unsigned or signed with a key that is not the directory's (another service's). A
partner reading the directory with the SDK took it, and sealed what it meant for BRG to the
attacker. The partner SDK checks each entry as the services do: signed by the referrals service
for directory.v1 (sdk/trust.py)."""

from aiokafka import AIOKafkaProducer

from hubnet_common.ops.local.credentials import login
from hubnet_common.ops.local.partners import partner_login
from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.identity import service_source
from hubnet_common.sdk.messages.directory import PartnerUpserted
from hubnet_common.sdk.partner import answers_verifier, read_directory
from hubnet_common.sdk.sealing import generate_encryption_keys
from hubnet_common.sdk.topics import DIRECTORY, on_broker
from hubnet_common.service.runtime import service_signer
from hubnet_common.service.settings import Settings


async def test_a_forged_directory_entry_is_not_taken_by_a_partner(network, kafka_bootstrap):
    attacker = generate_encryption_keys()
    forged = PartnerUpserted(partner_id="brg", name="BRG", encryption_public_key=attacker.public)
    envelope = Envelope.new(type=forged.ce_type, source=service_source("referrals"), subject=forged.subject())
    key, body = forged.subject().encode(), forged.model_dump_json().encode()
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, **login("hubnet-operator"))
    await producer.start()
    try:
        topic = on_broker(DIRECTORY.name, Settings().topic_prefix)
        # Keys every consumer trusts, but not for the directory. (A key a consumer does not know
        # would hold up directory.v1 for the unknown-key grace in every consumer that reads it from
        # the start, later tests' too; partners' keys change as other tests rotate them.)
        events, notifications = service_signer("events", Settings()), service_signer("notifications", Settings())
        for headers in (
            envelope.to_headers(),  # unsigned
            events.sign(DIRECTORY.name, key, envelope.to_headers(), body),
            notifications.sign(DIRECTORY.name, key, envelope.to_headers(), body),
        ):
            await producer.send_and_wait(topic, body, key=key, headers=headers)
    finally:
        await producer.stop()

    entries = await read_directory(
        kafka_bootstrap,
        verifier=answers_verifier(Settings().keys_dir),
        topic_prefix=Settings().topic_prefix,
        **partner_login("poseidon"),
    )
    brg = entries["partner:brg"]  # the entry the referrals service published when it started
    assert brg.encryption_public_key != attacker.public, "the partner took the attacker's key for BRG"
    assert brg.signing_keys, "not the referrals service's entry for BRG"
