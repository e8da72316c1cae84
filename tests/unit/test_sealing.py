import base64
import stat

import pytest
from hubnet_common.sealing import (
    PREFIX,
    ContactDetails,
    SealedContactError,
    generate_encryption_keys,
    open_contact,
    read_private_key,
    read_public_key,
    seal_contact,
    write_key_pair,
)
from nacl.public import PublicKey, SealedBox

DETAILS = ContactDetails(
    name="Amina Yusuf", phone="+46701234567", email="amina@example.se", language="so", note="Föredrar sms."
)


@pytest.fixture(scope="module")
def keys():
    return generate_encryption_keys()


def test_round_trip(keys):
    sealed = seal_contact(DETAILS, keys.public)
    assert sealed.startswith("sealed:v1:")
    assert open_contact(sealed, keys.private) == DETAILS


def test_optional_fields_may_be_absent(keys):
    details = ContactDetails(name="Erik")
    assert open_contact(seal_contact(details, keys.public), keys.private) == details


def test_two_seals_differ_but_both_open(keys):
    first, second = seal_contact(DETAILS, keys.public), seal_contact(DETAILS, keys.public)
    assert first != second
    assert open_contact(first, keys.private) == open_contact(second, keys.private) == DETAILS


def test_another_partners_key_cannot_open(keys):
    other = generate_encryption_keys()
    with pytest.raises(SealedContactError, match="wrong private key") as info:
        open_contact(seal_contact(DETAILS, keys.public), other.private)
    assert DETAILS.name not in str(info.value) and other.private not in str(info.value)


def test_a_flipped_byte_fails(keys):
    raw = bytearray(base64.b64decode(seal_contact(DETAILS, keys.public)[len(PREFIX) :]))
    raw[len(raw) // 2] ^= 0x01
    with pytest.raises(SealedContactError, match="altered"):
        open_contact(PREFIX + base64.b64encode(bytes(raw)).decode(), keys.private)


@pytest.mark.parametrize("make", [lambda s: s[len(PREFIX) :], lambda s: "sealed:v2:" + s[len(PREFIX) :]])
def test_a_wrong_prefix_fails(keys, make):
    with pytest.raises(SealedContactError, match="must start with"):
        open_contact(make(seal_contact(DETAILS, keys.public)), keys.private)


def test_bad_base64_fails(keys):
    with pytest.raises(SealedContactError, match="not valid base64"):
        open_contact(PREFIX + "not base64!!", keys.private)


def test_plaintext_not_matching_the_model_fails_without_echoing_it(keys):
    raw = SealedBox(PublicKey(base64.b64decode(keys.public))).encrypt(b'{"phone": "+46701234567"}')
    with pytest.raises(SealedContactError, match="do not match ContactDetails") as info:
        open_contact(PREFIX + base64.b64encode(raw).decode(), keys.private)
    assert "name" in str(info.value) and "+46701234567" not in str(info.value)
    assert info.value.__cause__ is None and info.value.__context__ is not None  # suppressed chain
    assert info.value.__suppress_context__


def test_the_sealed_string_contains_none_of_the_plaintext(keys):
    sealed = seal_contact(DETAILS, keys.public)
    for secret in (DETAILS.name, "Amina", DETAILS.phone, "1234567", DETAILS.email, "amina"):
        assert secret not in sealed


def test_the_private_key_is_not_in_the_repr(keys):
    assert keys.private not in repr(keys) and keys.public in repr(keys)


def test_the_note_is_limited():
    with pytest.raises(ValueError):
        ContactDetails(name="Erik", note="x" * 2001)


def test_key_files_are_written_with_the_right_modes_and_read_back(tmp_path):
    public_path, private_path = write_key_pair(tmp_path, "hjallbo")
    assert public_path == tmp_path / "hjallbo.x25519.pub"
    assert private_path == tmp_path / "hjallbo.x25519.key"
    assert stat.S_IMODE(public_path.stat().st_mode) == 0o644
    assert stat.S_IMODE(private_path.stat().st_mode) == 0o600
    assert public_path.read_text().endswith("\n") and private_path.read_text().endswith("\n")
    public, private = read_public_key(public_path), read_private_key(private_path)
    assert len(base64.b64decode(public)) == len(base64.b64decode(private)) == 32
    assert open_contact(seal_contact(DETAILS, public), private) == DETAILS


def test_an_existing_private_key_is_never_overwritten(tmp_path):
    _, private_path = write_key_pair(tmp_path, "hjallbo")
    before = private_path.read_bytes()
    with pytest.raises(FileExistsError, match="refusing to overwrite"):
        write_key_pair(tmp_path, "hjallbo")
    assert private_path.read_bytes() == before


def test_a_truncated_key_file_is_refused_naming_the_file(tmp_path):
    public_path, private_path = write_key_pair(tmp_path, "hjallbo")
    private_path.write_text(private_path.read_text().strip()[:20] + "\n")
    with pytest.raises(SealedContactError, match="hjallbo.x25519.key"):
        read_private_key(private_path)
    public_path.write_text("")
    with pytest.raises(SealedContactError, match="hjallbo.x25519.pub"):
        read_public_key(public_path)


def test_a_malformed_recipient_key_is_refused():
    with pytest.raises(SealedContactError, match="recipient public key"):
        seal_contact(DETAILS, base64.b64encode(b"short").decode())
