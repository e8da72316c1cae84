"""A resident's data key and their erasure, in the referrals service through its bootstrap with fakes."""

import base64
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.identity import partner_source
from hubnet_common.sdk.keys import KeyInvalid, read_key, write_key_pair
from hubnet_common.sdk.messages import referral_commands as c
from hubnet_common.sdk.messages.referral_events import ConsentWithdrawn, ParticipantErased, ReferralCancelled
from hubnet_common.sdk.messages.replies import CommandAccepted, CommandRejected
from hubnet_common.sdk.messages.vocabulary import ConsentMethod, Purpose, ReasonCode
from hubnet_common.sdk.sealing import (
    ContactDetails,
    SealingError,
    generate_encryption_keys,
    new_data_key,
    open_data_key,
    seal_with_data_key,
)
from hubnet_common.service.processing import Processor, Record
from hubnet_common.testing.deadletter import CollectedDeadLetters
from hubnet_referrals import bootstrap
from hubnet_referrals.adapters.custodian import CopyNotOpenable, KeyCustodian
from hubnet_referrals.domain.data_key import CUSTODIAN as HOLDER
from hubnet_referrals.domain.data_key import DataKeyCopy
from hubnet_referrals.domain.erasure import DataKeyDestroyed
from hubnet_referrals.handlers.erase import erase_again
from tests.unit.common.fakes.network import network_verifier, signed
from tests.unit.common.fakes.referrals import FakeReferralsUnitOfWork
from tests.unit.referrals.residents import CUSTODIAN, custodian_settings, ref_of, sealed

NUMBERS = {ref_of(n): n for n in ("19900101-0017", "19850312-1231", "19920615-4560")}
RESIDENT, OTHER_RESIDENT, UNKNOWN_RESIDENT = NUMBERS
NOW = datetime.now(UTC)
KEYS = {partner: generate_encryption_keys() for partner in ("bostadsbolaget", "brg", "goteborgs-stad-arbvux")}


@pytest.fixture
async def uow():
    fake = FakeReferralsUnitOfWork()
    await fake.seed_network()
    for partner, keys in KEYS.items():  # poseidon has published no key
        fake.directory.partners[partner] = replace(fake.directory.partners[partner], encryption_public_key=keys.public)
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


async def send(processor, command, partner="bostadsbolaget") -> str:
    envelope = Envelope.new(type=command.ce_type, source=partner_source(partner), subject=command.subject())
    return await processor.process(
        signed(
            Record(
                command.topic,
                0,
                0,
                command.subject().encode(),
                command.model_dump_json().encode(),
                tuple(envelope.to_headers()),
            ),
            by=f"partner-{partner}",
        )
    )


def consent(resident=RESIDENT, partners=("brg", "poseidon")) -> c.RecordConsent:
    return c.RecordConsent(
        sealed_personnummer=sealed(NUMBERS[resident]),
        partner_ids=list(partners),
        purposes=[Purpose.OWN_BUSINESS],
        method=ConsentMethod.WRITTEN,
        noted_by="Amina Hassan",
        given_at=NOW - timedelta(days=1),
        valid_until=NOW + timedelta(days=365),
    )


def erase(resident=RESIDENT, noted_by="Amina Hassan") -> c.EraseParticipant:
    return c.EraseParticipant(sealed_personnummer=sealed(NUMBERS[resident]), noted_by=noted_by)


def data_key_of(uow, partner, resident=RESIDENT) -> bytes:
    return open_data_key(uow.data_keys.copies_by_ref[resident][partner].sealed_key, KEYS[partner].private)


def published(uow, model):
    return [model.model_validate_json(o.body) for o in uow.committed if o.envelope.type == model.ce_type]


def refusals(uow) -> list[str]:
    return [r.code for r in published(uow, CommandRejected)]


async def test_consent_shares_one_data_key_sealed_to_each_partner_that_may_read(processor, uow):
    assert await send(processor, consent()) == "accepted"
    copies = uow.data_keys.copies_by_ref[RESIDENT]
    assert set(copies) == {"referrals", "bostadsbolaget", "brg"}  # poseidon has no published key
    key = data_key_of(uow, "brg")
    assert len(key) == 32 and data_key_of(uow, "bostadsbolaget") == key
    assert all(key not in copy.sealed_key.encode() for copy in copies.values())
    with pytest.raises(SealingError):  # BRG's copy is useless to anyone else
        open_data_key(copies["brg"].sealed_key, KEYS["bostadsbolaget"].private)


async def test_a_later_consent_adds_partners_to_the_same_key(processor, uow):
    await send(processor, consent())
    before = uow.data_keys.copies_by_ref[RESIDENT]["brg"]
    assert await send(processor, consent(partners=("goteborgs-stad-arbvux",))) == "accepted"
    assert data_key_of(uow, "goteborgs-stad-arbvux") == data_key_of(uow, "brg")
    assert uow.data_keys.copies_by_ref[RESIDENT]["brg"] == before  # untouched
    await send(processor, consent(resident=OTHER_RESIDENT))
    assert data_key_of(uow, "brg", OTHER_RESIDENT) != data_key_of(uow, "brg")  # one key per resident


async def referred(processor, uow, resident=RESIDENT) -> tuple[c.RecordConsent, c.CreateReferral]:
    given = consent(resident=resident)
    await send(processor, given)
    key = data_key_of(uow, "bostadsbolaget", resident)
    command = c.CreateReferral(
        service_id="brg-business-coaching",
        hub_id="hjallbo",
        participant_ref=resident,
        purpose=Purpose.OWN_BUSINESS,
        consent_id=given.consent_id,
        need=seal_with_data_key("Vill starta cateringfirma", key),
        sealed_contact=seal_with_data_key(ContactDetails(name="Ebba"), key),
    )
    assert await send(processor, command) == "accepted"
    return given, command


async def test_erasure_destroys_the_key_ends_open_referrals_and_scrubs(processor, uow):
    _, kept = await referred(processor, uow, OTHER_RESIDENT)
    _, command = await referred(processor, uow)
    assert await send(processor, erase(), partner="brg") == "accepted"
    assert RESIDENT not in uow.data_keys.copies_by_ref
    referral = uow.referrals.by_id[command.referral_id]
    assert (referral.status, referral.sealed_contact, referral.need) == ("cancelled", None, "")
    [cancelled] = [f for f in published(uow, ReferralCancelled) if f.referral_id == command.referral_id]
    assert cancelled.reason_code == ReasonCode.CONSENT_WITHDRAWN
    [erased] = published(uow, ParticipantErased)
    assert (erased.participant_ref, erased.reason, erased.requested_by_partner_id) == (RESIDENT, "requested", "brg")
    assert erased.referral_ids == [command.referral_id]
    assert all(c.withdrawn_at for c in await uow.consents.of_participant(RESIDENT))
    other = uow.referrals.by_id[kept.referral_id]  # the other resident is untouched
    assert other.status == "requested" and other.sealed_contact and OTHER_RESIDENT in uow.data_keys.copies_by_ref


async def test_erasing_twice_is_accepted_and_changes_nothing(processor, uow):
    await referred(processor, uow)
    assert await send(processor, erase()) == "accepted"
    committed = len(uow.committed)
    assert await send(processor, erase()) == "accepted"
    assert [o.envelope.type for o in uow.committed[committed:]] == [CommandAccepted.ce_type]


async def test_erasure_records_the_destroyed_key_where_a_restore_cannot_undo_it(processor, uow):
    await referred(processor, uow)
    made_at = uow.data_keys.made_at[RESIDENT]
    assert await send(processor, erase()) == "accepted"
    [record] = [o for o in uow.committed if o.envelope.type == DataKeyDestroyed.ce_type]
    assert record.topic == "referral.erasures.v1" and record.key == RESIDENT
    assert DataKeyDestroyed.model_validate_json(record.body).key_made_at == made_at


async def test_erasing_again_after_a_restore_destroys_the_restored_key_and_announces_nothing(processor, uow):
    _, command = await referred(processor, uow)  # as the restored database holds them
    await send(processor, consent(OTHER_RESIDENT))
    erased = {RESIDENT: uow.data_keys.made_at[RESIDENT], OTHER_RESIDENT: NOW - timedelta(days=30)}
    committed = len(uow.committed)
    async with uow:
        assert await erase_again(uow, erased, at=NOW) == 1
    assert RESIDENT not in uow.data_keys.copies_by_ref
    referral = uow.referrals.by_id[command.referral_id]
    assert (referral.status, referral.sealed_contact, referral.need) == ("cancelled", None, "")
    assert all(c.withdrawn_at for c in await uow.consents.of_participant(RESIDENT))
    assert uow.committed[committed:] == []  # announced by the first erasure already
    # Their key of now is newer than the one erased a month ago: they consented again since.
    assert OTHER_RESIDENT in uow.data_keys.copies_by_ref


@pytest.mark.parametrize(("resident", "partner"), [(RESIDENT, "stadsmissionen"), (UNKNOWN_RESIDENT, "brg")])
async def test_only_a_partner_with_a_consent_of_the_resident_may_erase_them(processor, uow, resident, partner):
    await referred(processor, uow)
    assert await send(processor, erase(resident, "Ali"), partner) == "refused"
    assert refusals(uow) == ["not-permitted"]
    assert RESIDENT in uow.data_keys.copies_by_ref and published(uow, ParticipantErased) == []


async def test_withdrawing_the_last_consent_in_force_erases_the_resident(processor, uow):
    first, _ = await referred(processor, uow)
    second = consent(partners=("goteborgs-stad-arbvux",))
    await send(processor, second)
    assert await send(processor, c.WithdrawConsent(consent_id=first.consent_id, noted_by="Ali")) == "accepted"
    assert published(uow, ParticipantErased) == [] and RESIDENT in uow.data_keys.copies_by_ref
    assert await send(processor, c.WithdrawConsent(consent_id=second.consent_id, noted_by="Ali")) == "accepted"
    assert len(published(uow, ConsentWithdrawn)) == 2
    [erased] = published(uow, ParticipantErased)
    assert erased.reason == "consent-withdrawn" and RESIDENT not in uow.data_keys.copies_by_ref


@pytest.mark.parametrize("field", ["need", "sealed_contact"])
def test_free_text_and_contact_details_in_the_clear_are_refused(field):
    with pytest.raises(ValueError, match="must be sealed with the resident's data key") as info:
        c.CreateReferral(
            service_id="s",
            hub_id="h",
            participant_ref=RESIDENT,
            purpose=Purpose.OWN_BUSINESS,
            consent_id="C-1",
            **{field: "Ebba, 070-123 45 67"},
        )
    assert "070-123" not in info.value.errors()[0]["msg"]  # what the refusal says


@pytest.mark.parametrize(
    "command",
    [
        lambda note: c.ReopenReferral(referral_id="R-1", note=note),
        lambda note: c.MarkReferralEnteredInError(referral_id="R-1", note=note),
        lambda note: c.RejectReferral(referral_id="R-1", reason_code=ReasonCode.OTHER, reason=note),
        lambda note: c.CompleteReferral(referral_id="R-1", outcome=c.OutcomeReport(main_activity="unknown", note=note)),
    ],
)
def test_every_note_and_reason_about_the_resident_must_be_sealed(command):
    with pytest.raises(ValueError, match="sealed"):
        command("Ebba har flyttat")


def test_the_custodian_opens_only_what_is_sealed_to_its_own_key(tmp_path):
    _, path = write_key_pair(tmp_path, "service-referrals", "x25519")
    first, second = KeyCustodian(path, tmp_path / "p.key"), KeyCustodian(path, tmp_path / "p.key")
    assert first.public_key == second.public_key == read_key(tmp_path / "service-referrals.x25519.pub")
    other = generate_encryption_keys().public
    with pytest.raises(CopyNotOpenable):
        first.open(DataKeyCopy(HOLDER, other, first.seal(first.new_key(), other)))
    with pytest.raises(KeyInvalid, match="nowhere.key"):
        KeyCustodian(tmp_path / "nowhere.key", tmp_path / "p.key").public_key
    key = first.new_key()
    assert second.open(DataKeyCopy(HOLDER, second.public_key, first.seal(key, second.public_key))) == key


async def test_consent_and_erasure_answer_the_sender_with_the_ref_of_the_sealed_number(processor, uow):
    given = consent()
    assert await send(processor, given) == "accepted"
    assert await send(processor, erase(), partner="brg") == "accepted"
    answers = published(uow, CommandAccepted)
    assert [a.participant_ref for a in answers] == [RESIDENT, RESIDENT]
    assert (await uow.consents.get(given.consent_id)).participant_ref == RESIDENT


@pytest.mark.parametrize("command", ["consent", "erase"])
async def test_a_ref_alone_proves_nothing_and_is_refused(processor, uow, command):
    """docs/adr/0007-custodian-pseudonyms.md: a ref is on the shared facts; copying it gives no data key."""
    await referred(processor, uow)
    only_ref = {"sealed_personnummer": None, "participant_ref": RESIDENT}
    forged = consent(partners=("poseidon",)) if command == "consent" else erase()
    assert await send(processor, forged.model_copy(update=only_ref), partner="poseidon") == "refused"
    assert refusals(uow) == ["resident-unproven"]
    assert set(uow.data_keys.copies_by_ref[RESIDENT]) == {"referrals", "bostadsbolaget", "brg"}


async def test_a_ref_that_is_not_the_sealed_numbers_is_refused(processor, uow):
    mismatched = consent().model_copy(update={"participant_ref": OTHER_RESIDENT})
    assert await send(processor, mismatched) == "refused"
    assert refusals(uow) == ["resident-unproven"] and uow.data_keys.copies_by_ref == {}


@pytest.mark.parametrize("sealing", ["not a number", "another key"])
async def test_an_invalid_sealed_number_is_refused_without_repeating_it(processor, uow, sealing):
    from nacl.public import PublicKey, SealedBox

    from hubnet_common.sdk.keys import b64, decode
    from hubnet_common.sdk.participant import seal_personnummer

    if sealing == "not a number":  # a wrong check digit, sealed as a careless client might
        box = SealedBox(PublicKey(decode(CUSTODIAN.public, "key")))
        bad = b64(box.encrypt(b"199001010018"))
    else:
        bad = seal_personnummer("19900101-0017", generate_encryption_keys().public)
    assert await send(processor, consent().model_copy(update={"sealed_personnummer": bad})) == "refused"
    [rejected] = published(uow, CommandRejected)
    assert rejected.code == "invalid-personnummer" and "1990" not in rejected.reason


def dressed_as_sealed(text: str) -> str:
    return "sealed:v2:" + base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize("field", ["need", "sealed_contact"])
@pytest.mark.parametrize("how", ["plain text dressed as sealed", "sealed under another key"])
async def test_what_does_not_open_under_the_residents_data_key_is_refused_not_stored(processor, uow, field, how):
    given = consent()
    await send(processor, given)
    text = "Vill starta en cateringfirma i Hjällbo, har skulder hos Kronofogden"
    value = dressed_as_sealed(text) if how.startswith("plain") else seal_with_data_key(text, new_data_key())
    command = c.CreateReferral(
        service_id="brg-business-coaching",
        hub_id="hjallbo",
        participant_ref=RESIDENT,
        purpose=Purpose.OWN_BUSINESS,
        consent_id=given.consent_id,
        **{field: value},
    )
    assert await send(processor, command) == "refused"
    [refused] = published(uow, CommandRejected)
    assert refused.code == "not-sealed" and field in refused.reason and text not in refused.reason
    assert uow.referrals.by_id == {}


async def test_a_reason_or_note_that_does_not_open_under_the_residents_key_changes_nothing(processor, uow):
    _, command = await referred(processor, uow)
    dressed = dressed_as_sealed("Flyttar till Borås i vår och vill inte längre ha coachning")
    for change in (
        c.CancelReferral(referral_id=command.referral_id, reason_code=ReasonCode.NO_LONGER_INTERESTED, reason=dressed),
        c.MarkReferralEnteredInError(referral_id=command.referral_id, note=dressed),
    ):
        assert await send(processor, change) == "refused"
    assert refusals(uow) == ["not-sealed", "not-sealed"]
    assert uow.referrals.by_id[command.referral_id].status == "requested"
    key = data_key_of(uow, "bostadsbolaget")
    sealed_reason = seal_with_data_key("Flyttar till Borås", key)
    cancel = c.CancelReferral(
        referral_id=command.referral_id, reason_code=ReasonCode.NO_LONGER_INTERESTED, reason=sealed_reason
    )
    assert await send(processor, cancel) == "accepted"
