"""Attack: a partner sends what concerns a resident in the clear, dressed as sealed: `sealed:v2:`
and base64 of the plain text (or of bytes too short to be a SecretBox), or sealed under a key that
is not the resident's. The services would then carry and store plain text as if it were
ciphertext, out of reach of erasure. Every service checks the form (nonce and MAC); the referrals
service, which holds the resident's data key, refuses what does not open under it (`not-sealed`)."""

import base64
import random

import pytest

from hubnet_common.ops.local.partners import LocalPartnerClient
from hubnet_common.sdk.messages import referral_commands as c
from hubnet_common.sdk.sealing import seal_with_data_key
from tests.integration.conftest import rows
from tests.integration.referral_steps import (
    accepted,
    consent,
    data_key_of,
    person,
    publish_encryption_key,
    ref_of,
    referral,
    sealed,
)

NEED = "Vill starta en cateringfirma i Hjällbo, har skulder hos Kronofogden"


def dressed_as_sealed(text: str) -> str:
    return "sealed:v2:" + base64.b64encode(text.encode()).decode()


def resident() -> tuple[str, str]:
    """A made-up resident of its own: (personnummer, the participant_ref the service makes of it)."""
    number = person(random.randrange(100, 1000))
    return number, ref_of(number)


async def stored(referrals_dsn: str, referral_id: str) -> list:
    return await rows(referrals_dsn, "SELECT status, need FROM referrals WHERE id = $1", referral_id)


@pytest.mark.parametrize(
    ("need", "code"),
    [
        (dressed_as_sealed(NEED), "not-sealed"),  # long enough to look like nonce + MAC + text
        (dressed_as_sealed("skulder"), "invalid-body"),  # shorter than a nonce and a MAC: not the format
        (sealed(NEED), "not-sealed"),  # real ciphertext, under a key that is not the resident's
    ],
)
async def test_plain_text_dressed_as_sealed_is_refused_and_not_stored(network, kafka_bootstrap, need, code):
    number, ref = resident()
    given = consent(number)
    # model_copy does not validate: the attacker's own client need not check the form
    command = referral(given.consent_id, participant_ref=ref).model_copy(update={"need": need})
    async with LocalPartnerClient(kafka_bootstrap, "bostadsbolaget") as sender:
        accepted(await sender.request(given))
        answer = await sender.request(command)
    assert (answer.ce_type, getattr(answer, "code", None)) == ("se.hubnet.command.rejected.v1", code)
    assert NEED not in answer.model_dump_json()
    assert await stored(network[0], command.referral_id) == []


async def test_a_reason_dressed_as_sealed_does_not_change_a_referral(network, kafka_bootstrap):
    number, ref = resident()
    given = consent(number)
    async with LocalPartnerClient(kafka_bootstrap, "bostadsbolaget") as sender:
        await publish_encryption_key(sender, "bostadsbolaget")
        accepted(await sender.request(given))
        key = await data_key_of(network[0], ref)
        command = referral(given.consent_id, participant_ref=ref, need=seal_with_data_key(NEED, key))
        accepted(await sender.request(command))  # sealed under the resident's data key: taken
        cancel = c.CancelReferral(referral_id=command.referral_id, reason_code="no-longer-interested")
        answer = await sender.request(cancel.model_copy(update={"reason": dressed_as_sealed(NEED)}))
    assert (answer.ce_type, getattr(answer, "code", None)) == ("se.hubnet.command.rejected.v1", "not-sealed")
    [row] = await stored(network[0], command.referral_id)
    assert row["status"] == "requested"
    history = await rows(network[0], "SELECT reason FROM referral_history WHERE referral_id = $1", command.referral_id)
    assert [h["reason"] for h in history] == [""]  # only the request
