"""Attack: sign a command without `ce_time`. It counted as sent the moment it arrived, so the
replay window never closed on it: captured once, it could be sent again any day after the inbox
forgot its id. Every record must carry its signed time."""

from hubnet_common.ops.local.partners import LocalPartnerClient
from hubnet_common.sdk.envelope import Envelope
from tests.integration.conftest import rows
from tests.integration.referral_steps import consent


async def test_a_command_without_its_time_is_refused(network, kafka_bootstrap):
    given = consent()
    async with LocalPartnerClient(kafka_bootstrap, "bostadsbolaget") as sender:
        envelope = Envelope.new(type=given.ce_type, source=sender.source, subject=given.subject())
        timeless = [(name, value) for name, value in envelope.to_headers() if name != "ce_time"]
        answer = await sender.request_raw(
            given.topic, given.model_dump_json().encode(), envelope, key=given.subject(), headers=timeless
        )
    assert (answer.ce_type, answer.code) == ("se.hubnet.command.rejected.v1", "invalid-envelope")
    assert not await rows(network[0], "SELECT 1 FROM consents WHERE id = $1", given.consent_id)
