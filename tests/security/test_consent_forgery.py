"""Attack: a partner copies a resident's `participant_ref` from a shared fact and records a consent
for it naming itself. If a ref were enough, the referrals service would seal the resident's data
key to the attacker (it could then open their contact details), and the same fake consent would let
it erase the resident. Consent and erasure must prove knowledge of the resident."""

import asyncpg

from hubnet_common.ops.local.partners import LocalPartnerClient
from hubnet_common.ops.local.watch import TopicWatcher
from hubnet_common.sdk.messages.directory_commands import UpdatePartner
from hubnet_common.sdk.messages.referral_commands import EraseParticipant
from hubnet_common.sdk.messages.referral_events import ConsentRecorded, ReferralRequested
from hubnet_common.sdk.sealing import (
    ContactDetails,
    SealingError,
    generate_encryption_keys,
    open_contact,
    open_data_key,
    seal_with_data_key,
)
from hubnet_common.sdk.topics import REFERRAL_EVENTS
from hubnet_referrals.adapters.data_keys import partners_copy
from tests.integration.conftest import rows
from tests.integration.referral_steps import accepted, consent, referral

NUMBER = "19811218-9876"  # the victim resident's personnummer, known only to the partner that met them
CONTACT = ContactDetails(name="Leyla Andersson", phone="+46 70 123 45 67")


async def copy_for(dsn: str, ref: str, partner_id: str) -> str | None:
    conn = await asyncpg.connect(dsn)
    try:
        return await partners_copy(conn, ref, partner_id)
    finally:
        await conn.close()


async def test_a_ref_copied_from_a_fact_gives_no_data_key_and_erases_nobody(network, kafka_bootstrap):
    dsn = network[0]
    keys = {p: generate_encryption_keys() for p in ("bostadsbolaget", "poseidon")}
    async with (
        LocalPartnerClient(kafka_bootstrap, "bostadsbolaget") as victim,
        LocalPartnerClient(kafka_bootstrap, "poseidon") as attacker,
        TopicWatcher(kafka_bootstrap, [REFERRAL_EVENTS]) as facts,
    ):
        for partner_id, client in (("bostadsbolaget", victim), ("poseidon", attacker)):
            accepted(
                await client.request(
                    UpdatePartner(partner_id=partner_id, encryption_public_key=keys[partner_id].public)
                )
            )
        # The victim partner meets the resident, records their consent (BRG only) and refers them.
        given = consent(NUMBER, partners=("brg",))  # the number sealed to the referrals service
        accepted(await victim.request(given))
        ref = (
            await facts.wait_for(lambda s: isinstance(s.body, ConsentRecorded) and s.key == given.consent_id)
        ).body.participant_ref
        data_key = open_data_key(await copy_for(dsn, ref, "bostadsbolaget"), keys["bostadsbolaget"].private)
        sent = referral(given.consent_id, participant_ref=ref, sealed_contact=seal_with_data_key(CONTACT, data_key))
        accepted(await victim.request(sent))

        # The attacker reads the shared fact, and with nothing but its ref forges a consent naming itself.
        seen = await facts.wait_for(lambda s: isinstance(s.body, ReferralRequested) and s.key == sent.referral_id)
        copied_ref, sealed_contact = seen.body.participant_ref, seen.body.sealed_contact
        forged = await attacker.request(
            consent(participant_ref=copied_ref, sealed_personnummer=None, partners=("poseidon",))
        )
        stolen, opened = await copy_for(dsn, copied_ref, "poseidon"), None
        if stolen is not None:  # what the attack gets if it succeeds: the resident's contact details
            try:
                opened = open_contact(sealed_contact, open_data_key(stolen, keys["poseidon"].private)).name
            except SealingError:
                pass
        # The same ref alone asks to erase the resident.
        erase = await attacker.request(EraseParticipant(participant_ref=copied_ref, noted_by="Mallory"))
        outcome = (getattr(forged, "code", "accepted"), opened, getattr(erase, "code", "accepted"))
        assert outcome == ("resident-unproven", None, "resident-unproven"), f"the attack got: {outcome}"
    assert {
        r["holder"] for r in await rows(dsn, "SELECT holder FROM data_key_copies WHERE participant_ref = $1", ref)
    } >= {"bostadsbolaget", "referrals"}
