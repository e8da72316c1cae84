"""The committed test vectors (docs/contract/vectors/) are what the SDK computes, byte for byte: a
partner in another language that matches them speaks hubnet's signed form, key ids, sealing and
webhook signatures."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import date, datetime
from pathlib import Path

import pytest
from nacl.secret import SecretBox

from hubnet_common.ops import vectors
from hubnet_common.sdk.data_key import checked_answer
from hubnet_common.sdk.participant import InvalidPersonalNumber, normalise, open_personnummer
from hubnet_common.sdk.sealing import open_contact, open_data_key, open_with_data_key
from hubnet_common.sdk.signing import (
    PublicSigningKey,
    Signer,
    canonical_form,
    check_signature,
    key_id,
    prove_possession,
    proves_possession,
    public_signing_key,
    signature_of,
)
from hubnet_common.sdk.webhook_signature import SignatureInvalid, verify
from hubnet_common.sdk.webhook_signature import sign as sign_webhook

VECTORS = Path(__file__).resolve().parents[2] / "docs" / "contract" / "vectors"


def load(name: str) -> dict:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


def test_the_committed_vectors_are_what_the_generator_makes():
    for relative, text in vectors.rendered().items():
        assert (VECTORS.parent / relative).read_text(encoding="utf-8") == text, (
            f"run `hubnet admin contract`: {relative}"
        )


@pytest.mark.parametrize("case", load("signed-record.json")["cases"], ids=lambda c: c["name"])
def test_the_signed_form_and_its_signature_are_the_sdks(case):
    vector = load("signed-record.json")
    seed = vector["signing_key"]["private_key_file"]
    assert public_signing_key(seed) == vector["signing_key"]["public_key_file"]
    headers = [(name, value.encode()) for name, value in case["headers"]]
    key = case["record_key"].encode() if case["record_key"] is not None else None
    form = canonical_form(case["topic"], key, headers, case["body"].encode())
    assert form == case["canonical_form"].encode("ascii")
    signed = Signer(seed).sign(case["topic"], key, headers, case["body"].encode())
    assert dict(signed)["hubnet_signature"].decode() == case["hubnet_signature"]
    key_of, signature = signature_of(signed)
    assert key_of == vector["key_id"]
    public = PublicSigningKey("urn:hubnet:partner:stadsmissionen", vector["signing_key"]["public_key_file"])
    check_signature(public, signature, case["topic"], key, signed, case["body"].encode())


def test_the_signed_form_escapes_non_ascii_with_lowercase_hex_and_a_null_key():
    [_, non_ascii, escaped] = load("signed-record.json")["cases"]
    assert "\\u00f6" in non_ascii["canonical_form"] and "\\u2713" in non_ascii["canonical_form"]
    assert '"key":null' in non_ascii["canonical_form"]
    assert "x-not-signed" not in non_ascii["canonical_form"]
    # what JSON libraries write differently: DEL escaped, a surrogate pair, a tab as \t, '/' unescaped
    assert '"key":"R-\\"1\\"\\\\2\\t3\\u007f4/5\\ud83d\\ude00"' in escaped["canonical_form"]


@pytest.mark.parametrize("case", load("key-id.json")["cases"], ids=lambda c: c["key_id"][:20])
def test_key_ids_are_the_rfc_7638_thumbprints(case):
    assert key_id(case["public_key_file"]) == case["key_id"]
    digest = hashlib.sha256(case["jwk"].encode()).digest()
    assert case["key_id"] == "ed25519:" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@pytest.mark.parametrize("case", load("data-key-sealing.json")["cases"], ids=lambda c: c["name"])
def test_sealing_and_opening_with_a_data_key(case):
    data_key = base64.b64decode(load("data-key-sealing.json")["data_key"])
    nonce = base64.b64decode(case["nonce"])
    assert open_with_data_key(case["sealed"], data_key) == case["plaintext"]
    raw = base64.b64decode(case["sealed"].removeprefix("sealed:v2:"))
    assert raw[:24] == nonce
    assert raw == bytes(SecretBox(data_key).encrypt(case["plaintext"].encode(), nonce))
    if case["name"] == "contact details":
        assert open_contact(case["sealed"], data_key).name == "Amina Example"


def test_a_sealed_copy_of_a_data_key_opens_and_its_answer_verifies():
    vector = load("sealed-data-key.json")
    assert open_data_key(vector["sealed_key"], vector["recipient_x25519_private_key_file"]) == base64.b64decode(
        vector["data_key"]
    )
    answer = vector["answer"]
    service = PublicSigningKey("urn:hubnet:service:referrals", vector["referrals_signing_public_key_file"])
    assert service.id == vector["referrals_key_id"]
    at = datetime.fromisoformat(answer["answered_at"])
    sealed = checked_answer(answer, answer["participant_ref"], answer["partner"], [service], at)
    assert sealed == vector["sealed_key"]
    assert json.loads(vector["statement"])["sealed_key"] == vector["sealed_key"]


def test_the_webhook_signature():
    vector = load("webhook-signature.json")
    body = vector["body"].encode()
    assert sign_webhook(body, vector["secret"], vector["timestamp"]) == vector["header"]
    verify(body, vector["header"], vector["secret"], now=vector["timestamp"] + 60)
    with pytest.raises(SignatureInvalid):
        verify(body + b" ", vector["header"], vector["secret"], now=vector["timestamp"])


def test_the_proof_of_a_new_signing_key():
    vector = load("possession-proof.json")
    public = vector["new_public_key_file"]
    assert public_signing_key(vector["new_private_key_file"]) == public
    assert vector["statement"] == f"hubnet possession v1\n{vector['partner_id']}\n{key_id(public)}"
    assert prove_possession(vector["new_private_key_file"], vector["partner_id"]) == vector["proof"]
    assert proves_possession(public, vector["partner_id"], vector["proof"])
    assert not proves_possession(public, "someone-else", vector["proof"])


def test_personnummer_normalisation_and_the_sealed_number():
    vector = load("personnummer.json")
    today = date.fromisoformat(vector["today"])
    for case in vector["normalisation"]:
        if "normalised" in case:
            assert normalise(case["input"], today=today) == case["normalised"], case["input"]
        else:
            with pytest.raises(InvalidPersonalNumber, match=case["refused"]):
                normalise(case["input"], today=today)
    assert (
        open_personnummer(vector["sealed_personnummer"], vector["referrals_x25519_private_key_file"])
        == (vector["opens_to"])
    )
