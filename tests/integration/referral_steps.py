"""Helpers for driving referrals as partners do: record consent, create, move through the lifecycle."""

from datetime import UTC, datetime, timedelta

from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.messages import referral_commands as c
from hubnet_common.sdk.messages.vocabulary import ConsentMethod, Purpose
from hubnet_common.sdk.sealing import new_data_key, seal_with_data_key

REF = "cd" * 32
# What concerns a resident travels sealed under their data key; these tests never open it.
SOME_KEY = new_data_key()


def sealed(text: str) -> str:
    return seal_with_data_key(text, SOME_KEY)


def consent(participant_ref: str = REF, partners=("brg",), purposes=(Purpose.OWN_BUSINESS,), **overrides):
    now = datetime.now(UTC)
    return c.RecordConsent(
        **{
            "participant_ref": participant_ref,
            "partner_ids": list(partners),
            "purposes": list(purposes),
            "method": ConsentMethod.WRITTEN,
            "noted_by": "Amina Hassan",
            "given_at": now - timedelta(minutes=5),
            "valid_until": now + timedelta(days=365),
            **overrides,
        }
    )


def referral(consent_id: str, participant_ref: str = REF, **overrides) -> c.CreateReferral:
    return c.CreateReferral(
        **{
            "service_id": "brg-business-coaching",
            "hub_id": "hjallbo",
            "participant_ref": participant_ref,
            "purpose": Purpose.OWN_BUSINESS,
            "consent_id": consent_id,
            **overrides,
        }
    )


def accepted(reply) -> None:
    assert reply.ce_type.endswith("accepted.v1"), (
        f"refused: {getattr(reply, 'code', '')} {getattr(reply, 'reason', '')}"
    )


async def new_referral(sender, **overrides) -> c.CreateReferral:
    """Record a consent and create a referral under it, as `sender`."""
    given = consent()
    accepted(await sender.request(given))
    command = referral(given.consent_id, **overrides)
    accepted(await sender.request(command))
    return command


async def send_twice(client, command, envelope: Envelope, watch) -> None:
    """The very same record twice (same ce_id, body and signature), as a producer retry or a
    redelivery after a rebalance brings it; the second after the first was answered, so that
    only the inbox can tell them apart."""
    key, body = command.subject(), command.model_dump_json().encode()
    headers = client.signer.sign(key.encode(), envelope.to_headers(), body)
    await client.send_raw(command.topic, body, key=key, headers=headers, sign=False)
    await watch.wait_for(lambda s: getattr(s.body, "command_id", None) == envelope.id)
    await client.send_raw(command.topic, body, key=key, headers=headers, sign=False)
