"""A partner replaces its encryption key (docs/operations.md, "A partner's encryption key";
docs/security.md, "Rotation"): its copy of a resident's data key stays sealed to the old key until
the next consent recorded for that resident, which seals it anew to the new key. The referrals
service through its bootstrap, on the fakes."""

from datetime import UTC, datetime, timedelta

import pytest

from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.identity import partner_source
from hubnet_common.sdk.messages import referral_commands as c
from hubnet_common.sdk.messages.directory_commands import UpdatePartner
from hubnet_common.sdk.messages.vocabulary import ConsentMethod, Purpose
from hubnet_common.sdk.sealing import SealingError, generate_encryption_keys, open_data_key
from hubnet_common.service.processing import Processor, Record
from hubnet_common.testing.deadletter import CollectedDeadLetters
from hubnet_referrals import bootstrap
from tests.unit.common.fakes.network import network_verifier, signed
from tests.unit.common.fakes.referrals import FakeReferralsUnitOfWork
from tests.unit.referrals.residents import custodian_settings, ref_of, sealed

NUMBER = "19900101-0017"
RESIDENT = ref_of(NUMBER)
NOW = datetime.now(UTC)


@pytest.fixture
async def uow():
    fake = FakeReferralsUnitOfWork()
    await fake.seed_network()
    return fake


@pytest.fixture
def processor(uow, tmp_path):
    spec = bootstrap.spec(custodian_settings(tmp_path), uow_factory=lambda _pool: lambda: uow)
    [route] = spec.routes
    return Processor(
        route=route,
        consumer_group="g",
        uow_factory=spec.uow_factory(None),
        dead_letters=CollectedDeadLetters(),
        verifier=network_verifier(),
    )


async def send(processor, command, partner: str) -> str:
    envelope = Envelope.new(type=command.ce_type, source=partner_source(partner), subject=command.subject())
    record = Record(
        command.topic,
        0,
        0,
        command.subject().encode(),
        command.model_dump_json().encode(),
        tuple(envelope.to_headers()),
    )
    return await processor.process(signed(record, by=f"partner-{partner}"))


def consent(partners=("brg",)) -> c.RecordConsent:
    return c.RecordConsent(
        sealed_personnummer=sealed(NUMBER),
        partner_ids=list(partners),
        purposes=[Purpose.OWN_BUSINESS],
        method=ConsentMethod.WRITTEN,
        noted_by="Amina Hassan",
        given_at=NOW - timedelta(days=1),
        valid_until=NOW + timedelta(days=365),
    )


def brgs_copy(uow) -> str:
    return uow.data_keys.copies_by_ref[RESIDENT]["brg"].sealed_key


async def test_a_replaced_encryption_key_gets_its_copy_sealed_anew_at_the_next_consent(processor, uow):
    old, new = generate_encryption_keys(), generate_encryption_keys()
    host = generate_encryption_keys()
    assert (
        await send(
            processor, UpdatePartner(partner_id="bostadsbolaget", encryption_public_key=host.public), "bostadsbolaget"
        )
        == "accepted"
    )
    assert await send(processor, UpdatePartner(partner_id="brg", encryption_public_key=old.public), "brg") == "accepted"
    assert await send(processor, consent(), "bostadsbolaget") == "accepted"
    data_key = open_data_key(brgs_copy(uow), old.private)

    assert await send(processor, UpdatePartner(partner_id="brg", encryption_public_key=new.public), "brg") == "accepted"
    assert open_data_key(brgs_copy(uow), old.private) == data_key  # until the next consent, the old key opens it

    assert await send(processor, consent(partners=("brg", "poseidon")), "bostadsbolaget") == "accepted"
    assert open_data_key(brgs_copy(uow), new.private) == data_key  # the same resident's key, sealed anew
    with pytest.raises(SealingError):
        open_data_key(brgs_copy(uow), old.private)
    assert open_data_key(uow.data_keys.copies_by_ref[RESIDENT]["bostadsbolaget"].sealed_key, host.private) == data_key


async def test_a_copy_sealed_to_the_current_key_is_left_as_it_is(processor, uow):
    key = generate_encryption_keys()
    await send(processor, UpdatePartner(partner_id="brg", encryption_public_key=key.public), "brg")
    await send(processor, consent(), "bostadsbolaget")
    before = brgs_copy(uow)
    assert await send(processor, consent(partners=("brg", "poseidon")), "bostadsbolaget") == "accepted"
    assert brgs_copy(uow) == before
