import base64

import pytest

from hubnet_common.sdk.sealing import (
    PREFIX,
    ContactDetails,
    SealingError,
    generate_encryption_keys,
    new_data_key,
    open_contact,
    open_data_key,
    open_with_data_key,
    seal_data_key,
    seal_with_data_key,
)

DETAILS = ContactDetails(
    name="Amina Yusuf", phone="+46701234567", email="amina@example.se", language="so", note="Föredrar sms."
)


@pytest.fixture(scope="module")
def keys():
    return generate_encryption_keys()


@pytest.fixture
def data_key():
    return new_data_key()


def test_contact_details_and_free_text_round_trip_under_the_data_key(data_key):
    sealed = seal_with_data_key(DETAILS, data_key)
    assert sealed.startswith("sealed:v2:")
    assert open_contact(sealed, data_key) == DETAILS
    assert (
        open_with_data_key(seal_with_data_key("Vill starta eget café", data_key), data_key) == "Vill starta eget café"
    )


def test_optional_fields_may_be_absent(data_key):
    details = ContactDetails(name="Erik")
    assert open_contact(seal_with_data_key(details, data_key), data_key) == details


def test_two_seals_differ_but_both_open(data_key):
    first, second = seal_with_data_key(DETAILS, data_key), seal_with_data_key(DETAILS, data_key)
    assert first != second
    assert open_contact(first, data_key) == open_contact(second, data_key) == DETAILS


def test_only_the_recipient_opens_its_copy_of_the_data_key(keys, data_key):
    copy = seal_data_key(data_key, keys.public)
    assert open_data_key(copy, keys.private) == data_key
    other = generate_encryption_keys()
    with pytest.raises(SealingError, match="sealed to another key") as info:
        open_data_key(copy, other.private)
    assert other.private not in str(info.value)


def test_a_stored_copy_is_not_the_data_key(keys, data_key):
    copy = seal_data_key(data_key, keys.public)
    raw = base64.b64decode(copy)
    assert data_key not in raw and base64.b64encode(data_key).decode() not in copy
    assert seal_data_key(data_key, keys.public) != copy  # a fresh ephemeral key each time


def test_another_residents_data_key_cannot_open(data_key):
    with pytest.raises(SealingError, match="another resident's data key") as info:
        open_contact(seal_with_data_key(DETAILS, data_key), new_data_key())
    assert DETAILS.name not in str(info.value)


def test_a_flipped_byte_fails(data_key):
    raw = bytearray(base64.b64decode(seal_with_data_key(DETAILS, data_key)[len(PREFIX) :]))
    raw[len(raw) // 2] ^= 0x01
    with pytest.raises(SealingError, match="altered"):
        open_contact(PREFIX + base64.b64encode(bytes(raw)).decode(), data_key)


@pytest.mark.parametrize("make", [lambda s: s[len(PREFIX) :], lambda s: "sealed:v1:" + s[len(PREFIX) :]])
def test_a_wrong_prefix_fails(data_key, make):
    with pytest.raises(SealingError, match="must start with"):
        open_contact(make(seal_with_data_key(DETAILS, data_key)), data_key)


def test_bad_base64_fails(data_key):
    with pytest.raises(SealingError, match="not valid base64"):
        open_contact(PREFIX + "not base64!!", data_key)


def test_plaintext_not_matching_the_model_fails_without_echoing_it(data_key):
    with pytest.raises(SealingError, match="do not match ContactDetails") as info:
        open_contact(seal_with_data_key('{"phone": "+46701234567"}', data_key), data_key)
    assert "name" in str(info.value) and "+46701234567" not in str(info.value)
    assert info.value.__cause__ is None and info.value.__context__ is not None  # suppressed chain
    assert info.value.__suppress_context__


def test_the_sealed_string_contains_none_of_the_plaintext(data_key):
    sealed = seal_with_data_key(DETAILS, data_key)
    for secret in (DETAILS.name, "Amina", DETAILS.phone, "1234567", DETAILS.email, "amina"):
        assert secret not in sealed


def test_the_private_key_is_not_in_the_repr(keys):
    assert keys.private not in repr(keys) and keys.public in repr(keys)


def test_the_note_is_limited():
    with pytest.raises(ValueError):
        ContactDetails(name="Erik", note="x" * 2001)


def test_a_malformed_recipient_key_is_refused():
    with pytest.raises(SealingError, match="recipient public key"):
        seal_data_key(new_data_key(), base64.b64encode(b"short").decode())


def test_the_form_of_a_sealed_value_is_nonce_mac_and_ciphertext():
    """messages/base.py checks what every service can check without the key: base64 of at least
    a SecretBox nonce and MAC. Plain text dressed as sealed and too short fails; longer needs the key."""
    from nacl.secret import SecretBox

    from hubnet_common.sdk.messages.base import SEALED_MIN_BYTES
    from hubnet_common.sdk.messages.referral_commands import CancelReferral

    assert SEALED_MIN_BYTES == SecretBox.NONCE_SIZE + SecretBox.MACBYTES
    key = new_data_key()
    CancelReferral(referral_id="R-1", reason_code="no-longer-interested", reason=seal_with_data_key("", key))
    for dressed in ("sealed:v2:" + base64.b64encode(b"skulder").decode(), "sealed:v2:c2t1bGRlcg", "sealed:v2:===="):
        with pytest.raises(ValueError, match="must be sealed"):
            CancelReferral(referral_id="R-1", reason_code="no-longer-interested", reason=dressed)
