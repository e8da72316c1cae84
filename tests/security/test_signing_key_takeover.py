"""Attack: a partner rotates "its" signing key to another partner's published public key, and so
takes that key (and the victim's identity) over. A public key belongs to one owner for ever."""

from hubnet_common.ops.local.partners import LocalPartnerClient
from hubnet_common.sdk.keys import read_key
from hubnet_common.sdk.messages.directory_commands import RotateSigningKey
from hubnet_common.service.settings import Settings
from tests.integration.referral_steps import accepted, consent


def published_key(partner: str) -> str:
    """A partner's public signing key, as anyone reads it from the directory."""
    return read_key(Settings().keys_dir / f"partner-{partner}.ed25519.pub")


async def test_a_partner_cannot_take_another_partners_signing_key(network, kafka_bootstrap):
    victims_public_key = published_key("bostadsbolaget")
    async with LocalPartnerClient(kafka_bootstrap, "brg") as attacker:
        answer = await attacker.request(RotateSigningKey(partner_id="brg", public_key=victims_public_key))
    assert (answer.ce_type, answer.code) == ("se.hubnet.command.rejected.v1", "key-taken")

    async with LocalPartnerClient(kafka_bootstrap, "bostadsbolaget") as victim:
        accepted(await victim.request(consent()))  # still itself: its commands are not source-mismatch
