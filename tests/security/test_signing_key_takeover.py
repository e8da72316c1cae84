"""Attack: a partner rotates "its" signing key to another partner's published public key, and so
takes that key (and the victim's identity) over. A rotation must prove possession of the new key,
and a public key belongs to one owner for ever."""

import asyncpg
import pytest

from hubnet_common.ops.local.partners import LocalPartnerClient
from hubnet_common.sdk.keys import generate, read_key
from hubnet_common.sdk.messages.directory_commands import RotateSigningKey
from hubnet_common.sdk.signing import PublicSigningKey, prove_possession
from hubnet_common.service.db import migrate
from hubnet_common.service.settings import Settings
from hubnet_common.service.trust import KeyTaken, keep_signing_keys
from tests.integration.conftest import rows
from tests.integration.referral_steps import accepted, consent


def published_key(partner: str) -> str:
    """A partner's public signing key, as anyone reads it from the directory."""
    return read_key(Settings().keys_dir / f"partner-{partner}.ed25519.pub")


async def test_a_partner_cannot_rotate_to_another_partners_signing_key(network, kafka_bootstrap):
    some_key_of_its_own = generate("ed25519").private
    claim = RotateSigningKey(
        partner_id="brg",
        public_key=published_key("bostadsbolaget"),
        proof=prove_possession(some_key_of_its_own, "brg"),  # the best it can do without the victim's key
    )
    async with LocalPartnerClient(kafka_bootstrap, "brg") as attacker:
        answer = await attacker.request(claim)
    assert (answer.ce_type, answer.code) == ("se.hubnet.command.rejected.v1", "key-not-proven")

    async with LocalPartnerClient(kafka_bootstrap, "bostadsbolaget") as victim:
        accepted(await victim.request(consent()))  # still itself: its commands are not source-mismatch
    [owner] = await rows(
        network[0], "SELECT owner FROM signing_keys WHERE public_key = $1", published_key("bostadsbolaget")
    )
    assert owner[0] == "urn:hubnet:partner:bostadsbolaget"


async def test_a_directory_entry_cannot_move_a_key_to_another_owner(new_database):
    """Even a directory fact (only the referrals service signs those) cannot hand a key over, not
    even one its first owner has rotated out."""
    conn = await asyncpg.connect(await new_database("keys"))
    try:
        await migrate(conn)  # the migrations every service has
        victims, later = published_key("bostadsbolaget"), generate("ed25519").public
        victim = "urn:hubnet:partner:bostadsbolaget"
        await keep_signing_keys(conn, victim, [PublicSigningKey(victim, victims)])
        await keep_signing_keys(conn, victim, [PublicSigningKey(victim, later)])  # rotated out
        with pytest.raises(KeyTaken):
            async with conn.transaction():
                await keep_signing_keys(
                    conn, "urn:hubnet:partner:brg", [PublicSigningKey("urn:hubnet:partner:brg", victims)]
                )
        assert await conn.fetchval("SELECT count(*) FROM signing_keys WHERE owner = 'urn:hubnet:partner:brg'") == 0
    finally:
        await conn.close()
