"""Helpers for driving referrals as partners do: record consent, create, move through the lifecycle."""

from datetime import UTC, datetime, timedelta

from aiokafka import TopicPartition

from hubnet_common.ops.local.kafka_users import admin_login
from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.kafka import records_until_now
from hubnet_common.sdk.keys import decode, read_key
from hubnet_common.sdk.messages import referral_commands as c
from hubnet_common.sdk.messages.directory import PartnerUpserted
from hubnet_common.sdk.messages.directory_commands import UpdatePartner
from hubnet_common.sdk.messages.referral_events import ReferralRequested
from hubnet_common.sdk.messages.vocabulary import ConsentMethod, Purpose
from hubnet_common.sdk.participant import (
    PSEUDONYM_KEY_FILE,
    custodian_public_key,
    normalise,
    participant_ref,
    seal_personnummer,
)
from hubnet_common.sdk.sealing import new_data_key, open_data_key, seal_with_data_key
from hubnet_common.sdk.topics import DIRECTORY, on_broker
from hubnet_common.service.settings import Settings
from tests.integration.conftest import eventually, rows, until

NUMBER = "19900101-0017"  # the tests' resident (a valid check digit, no real person)
# What concerns a resident travels sealed under their data key; these tests never open it.
SOME_KEY = new_data_key()


def sealed(text: str) -> str:
    """Sealed under a key of no resident: the referrals service refuses it (not-sealed)."""
    return seal_with_data_key(text, SOME_KEY)


def person(n: int) -> str:
    """The n-th of the tests' made-up residents (n < 1000): a valid personnummer."""
    for check in range(10):
        try:
            return normalise(f"19700101{n:03d}{check}")
        except ValueError:
            continue
    raise AssertionError("no check digit")


def sealed_number(number: str = NUMBER) -> str:
    """The number sealed to the referrals service, as partners send it (its key from the keys dir)."""
    return seal_personnummer(number, custodian_public_key(Settings().keys_dir))


def ref_of(number: str = NUMBER) -> str:
    """The participant_ref the referrals service makes of a number. Only the tests, standing in for
    its operators, can read its pseudonymisation key (the session's keys dir, tests/conftest.py)."""
    key_file = Settings().keys_dir / PSEUDONYM_KEY_FILE
    return participant_ref(number, decode(read_key(key_file), "the pseudonymisation key"))


async def publish_encryption_key(client, partner: str) -> None:
    """The partner publishes its X25519 key, so the consents it records give it a data key copy."""
    public = read_key(Settings().keys_dir / f"partner-{partner}.x25519.pub")
    accepted(await client.request(UpdatePartner(partner_id=partner, encryption_public_key=public)))


async def key_known_to_notifications(notifications_dsn: str, partner: str) -> None:
    """Until the notifications service's directory copy has the partner's own X25519 key, from the
    partner's latest entry on directory.v1. Not a row that merely matches: a fresh copy replays
    the session's whole topic, so it can hold the key from an early entry that later entries of
    other tests still overwrite."""
    settings = Settings()
    public = read_key(settings.keys_dir / f"partner-{partner}.x25519.pub")
    latest = await eventually(
        lambda: _latest_entry_with_key(settings, partner, public), every=0.5, what=f"{partner}'s key on directory.v1"
    )
    await until(notifications_dsn, f"SELECT 1 FROM inbox WHERE ce_id = '{latest}'")
    assert await rows(
        notifications_dsn, "SELECT 1 FROM known_partners WHERE id = $1 AND encryption_public_key = $2", partner, public
    ), f"the notifications service kept another key for {partner}"


async def _latest_entry_with_key(settings: Settings, partner: str, public: str) -> str | None:
    """The ce_id of the partner's latest directory entry, when it gives that key."""
    topic = on_broker(DIRECTORY.name, settings.topic_prefix)
    partitions = [TopicPartition(topic, p) for p in range(DIRECTORY.partitions)]
    entries = [
        (envelope.id, PartnerUpserted.model_validate_json(r.value))
        for r in await records_until_now(settings.kafka_bootstrap, partitions, **admin_login())
        if (envelope := Envelope.from_headers(r.headers)).type == PartnerUpserted.ce_type
    ]
    mine = [(ce_id, fact) for ce_id, fact in entries if fact.partner_id == partner]
    if mine and mine[-1][1].encryption_public_key == public:
        return mine[-1][0]
    return None


async def data_key_of(referrals_dsn: str, participant_ref: str, holder: str = "bostadsbolaget") -> bytes:
    """The resident's data key, from a holder's copy opened with its X25519 key: a partner's (what
    `GET /data-key` hands it), or the referrals service's own ("referrals"); read from the database."""
    [copy] = await rows(
        referrals_dsn,
        "SELECT sealed_key FROM data_key_copies WHERE participant_ref = $1 AND holder = $2",
        participant_ref,
        holder,
    )
    name = "service-referrals" if holder == "referrals" else f"partner-{holder}"
    return open_data_key(copy[0], read_key(Settings().keys_dir / f"{name}.x25519.key"))


async def sealed_for(referrals_dsn: str, text: str, participant_ref: str | None = None) -> str:
    """Sealed under the resident's data key (a consent of theirs must be recorded)."""
    key = await data_key_of(referrals_dsn, participant_ref or ref_of(), "referrals")
    return seal_with_data_key(text, key)


def consent(number: str = NUMBER, partners=("brg",), purposes=(Purpose.OWN_BUSINESS,), **overrides):
    now = datetime.now(UTC)
    return c.RecordConsent(
        **{
            "sealed_personnummer": sealed_number(number),
            "partner_ids": list(partners),
            "purposes": list(purposes),
            "method": ConsentMethod.WRITTEN,
            "noted_by": "Amina Hassan",
            "given_at": now - timedelta(minutes=5),
            "valid_until": now + timedelta(days=365),
            **overrides,
        }
    )


def referral(consent_id: str, participant_ref: str | None = None, **overrides) -> c.CreateReferral:
    return c.CreateReferral(
        **{
            "service_id": "brg-business-coaching",
            "hub_id": "hjallbo",
            "participant_ref": participant_ref or ref_of(),
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
    headers = client.signer.sign(command.topic, key.encode(), envelope.to_headers(), body)
    await client.send_raw(command.topic, body, key=key, headers=headers, sign=False)
    await watch.wait_for(lambda s: getattr(s.body, "command_id", None) == envelope.id)
    await client.send_raw(command.topic, body, key=key, headers=headers, sign=False)


def referral_requested(referral_id: str, **overrides) -> ReferralRequested:
    """A `referral.requested` fact as the referrals service announces it: Bostadsbolaget refers a
    resident to BRG's business coaching at Hjällbo."""
    return ReferralRequested(
        **{
            "referral_id": referral_id,
            "version": 1,
            "status": "requested",
            "sender_partner_id": "bostadsbolaget",
            "receiver_partner_id": "brg",
            "service_id": "brg-business-coaching",
            "hub_id": "hjallbo",
            "actor_partner_id": "bostadsbolaget",
            "at": datetime.now(UTC),
            "participant_ref": "ab" * 32,
            "purpose": "own-business",
            "consent_id": f"C-{referral_id}",
        }
        | overrides
    )
