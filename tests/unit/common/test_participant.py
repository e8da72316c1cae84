import pytest

from hubnet_common.sdk.participant import (
    InvalidPersonalNumber,
    normalise,
    open_personnummer,
    participant_ref,
    seal_personnummer,
)
from hubnet_common.sdk.sealing import generate_encryption_keys

KEY = b"the referrals service's pseudonymisation key"


@pytest.mark.parametrize("number", ["19900101-0017", "199001010017", "900101-0017", "9001010017"])
def test_the_same_person_written_differently_gets_one_reference(number):
    assert participant_ref(number, KEY) == participant_ref("19900101-0017", KEY)


def test_a_samordningsnummer_is_accepted():
    assert normalise("19900161-0014") == "199001610014"


def test_the_reference_depends_on_the_key_and_hides_the_number():
    ref = participant_ref("19900101-0017", KEY)
    assert ref != participant_ref("19900101-0017", b"another-key")
    assert len(ref) == 64 and "0017" not in ref[:4]


@pytest.mark.parametrize(
    ("number", "problem"),
    [("19900101-0018", "check digit"), ("19901301-0017", "not a date"), ("1990-01-01", "expected"), ("", "expected")],
)
def test_invalid_numbers_are_refused_with_the_reason(number, problem):
    with pytest.raises(InvalidPersonalNumber, match=problem):
        normalise(number)


def test_a_number_sealed_to_the_custodian_opens_only_with_its_key_normalised():
    custodian, other = generate_encryption_keys(), generate_encryption_keys()
    sealed = seal_personnummer("900101-0017", custodian.public)
    assert "0017" not in sealed and sealed != seal_personnummer("900101-0017", custodian.public)  # random
    assert open_personnummer(sealed, custodian.private) == "199001010017"
    with pytest.raises(InvalidPersonalNumber, match="sealed to another key") as info:
        open_personnummer(sealed, other.private)
    assert "1990" not in str(info.value)


def test_an_invalid_number_is_refused_before_it_is_sealed():
    with pytest.raises(InvalidPersonalNumber, match="check digit"):
        seal_personnummer("19900101-0018", generate_encryption_keys().public)
