"""Attack: a partner reverses a `participant_ref` it reads on a shared fact back to the resident's
personnummer, by hashing candidate numbers (about 10^8 valid ones) with every secret a partner holds.
The pseudonymisation key must be held by the referrals service alone."""

import hashlib
import hmac
import os
from datetime import date

from hubnet_common.ops.local.partners import LocalPartnerClient
from hubnet_common.ops.local.watch import TopicWatcher
from hubnet_common.sdk.messages.referral_events import ConsentRecorded
from hubnet_common.sdk.participant import InvalidPersonalNumber, normalise
from hubnet_common.sdk.topics import REFERRAL_EVENTS
from hubnet_common.service.settings import Settings
from tests.integration.referral_steps import accepted, consent

NUMBER = "19811218-9876"  # the resident's, known only to the partner that met them
BORN = date(1981, 12, 18)


def what_a_partner_holds(partner_id: str) -> list[bytes]:
    """Every secret a partner system is given: its settings' network key, if any, its own key
    files and every public key of the network."""
    keys = Settings().keys_dir
    files = [*keys.glob(f"partner-{partner_id}.*"), *keys.glob("*.pub")]
    held = [f.read_text().strip().encode() for f in files]
    return held + [k.encode() for k in (os.environ.get("HUBNET_NETWORK_KEY"),) if k]


def everyone_born_on(day: date) -> list[str]:
    """Every valid number of one birth date: 1,000 of them (the whole space is ~10^8)."""
    numbers = []
    for serial in range(10000):
        try:
            numbers.append(normalise(f"{day:%Y%m%d}-{serial:04d}"))
        except InvalidPersonalNumber:
            pass
    return numbers


async def test_a_partner_cannot_reverse_a_participant_ref_to_the_personnummer(network, kafka_bootstrap):
    async with (
        LocalPartnerClient(kafka_bootstrap, "bostadsbolaget") as victim,
        TopicWatcher(kafka_bootstrap, [REFERRAL_EVENTS]) as facts,
    ):
        given = consent(NUMBER, partners=("brg",))  # the number sealed to the referrals service
        answer = await victim.request(given)
        accepted(answer)
        seen = await facts.wait_for(lambda s: isinstance(s.body, ConsentRecorded) and s.key == given.consent_id)
    ref = seen.body.participant_ref  # on referral.events.v1, which every partner reads
    assert answer.participant_ref == ref  # what the victim was told, on its own replies topic

    candidates = everyone_born_on(BORN)
    found = [
        number
        for secret in what_a_partner_holds("poseidon")
        for number in candidates
        if hmac.new(secret, number.encode(), hashlib.sha256).hexdigest() == ref
    ]
    assert found == [], "a partner reversed the ref to the resident's personnummer"
