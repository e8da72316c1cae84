"""Test vectors for what a partner must compute byte for byte (docs/contract/vectors/), made with the
SDK from fixed keys (`ops/fixed_keys.py`) and written by `hubnet admin contract`.
tests/contract/test_vectors.py recomputes each one with the SDK."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, date, datetime
from typing import Any

from hubnet_common.ops.fixed_keys import (
    b64,
    fixed_bytes,
    seal_with_nonce,
    sealed_box_with,
    signing_public,
    signing_seed,
    x25519_private,
    x25519_public,
)
from hubnet_common.sdk.data_key import answer_statement, signed_answer
from hubnet_common.sdk.participant import InvalidPersonalNumber, normalise
from hubnet_common.sdk.sealing import ContactDetails
from hubnet_common.sdk.signing import Signer, canonical_form, key_id, prove_possession
from hubnet_common.sdk.webhook_signature import sign as sign_webhook

NOTE = "Fixed test keys: never use them for anything real. Base64 is the standard alphabet with padding."
PARTNER = "stadsmissionen"
PARTNER_SEED = signing_seed(f"vector partner-{PARTNER}")
REFERRALS_SEED = signing_seed("vector service-referrals")
PARTNER_X25519 = x25519_private(f"vector partner-{PARTNER}")
REFERRALS_X25519 = x25519_private("vector service-referrals")
DATA_KEY = fixed_bytes("vector data key")
TODAY = date(2026, 3, 2)


def _key_pair(seed: str) -> dict[str, str]:
    return {
        "private_key_file": seed,
        "private_key_hex": base64.b64decode(seed).hex(),
        "public_key_file": signing_public(seed),
    }


def _record_case(name: str, topic: str, key: str | None, headers: list[tuple[str, str]], body: str) -> dict:
    raw_headers = [(n, v.encode()) for n, v in headers]
    raw_key = key.encode() if key is not None else None
    form = canonical_form(topic, raw_key, raw_headers, body.encode())
    signed = Signer(PARTNER_SEED).sign(topic, raw_key, raw_headers, body.encode())
    return {
        "name": name,
        "topic": topic,
        "record_key": key,
        "headers": [[n, v] for n, v in headers],
        "body": body,
        "body_sha256": hashlib.sha256(body.encode()).hexdigest(),
        "canonical_form": form.decode("ascii"),
        "hubnet_signature": dict(signed)["hubnet_signature"].decode(),
    }


# What JSON escapes differently from language to language: quotes, backslash, a tab, DEL, a slash,
# a character above U+FFFF (a surrogate pair).
ESCAPED_KEY = 'R-"1"\\2\t3\x7f4/5\U0001f600'


def signed_record() -> dict[str, Any]:
    ce = [
        ("ce_specversion", "1.0"),
        ("ce_type", "se.hubnet.referral.accept.v1"),
        ("ce_source", f"urn:hubnet:partner:{PARTNER}"),
        ("ce_id", "0195f0a2-6b7c-7d1e-8f90-a1b2c3d4e5f6"),
        ("ce_time", "2026-03-02T09:00:00+00:00"),
        ("ce_subject", "R-0195f0a2-0000-7000-8000-000000000001"),
        ("content-type", "application/json"),
        ("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        ("x-not-signed", "any other header is left out"),
    ]
    body = '{"referral_id":"R-0195f0a2-0000-7000-8000-000000000001","expected_version":2}'
    non_ascii = [(n, "Göteborg – Ängby ✓" if n == "ce_subject" else v) for n, v in ce]
    return {
        "what": "The signed form (v2) of a Kafka record and its Ed25519 signature: the hubnet_signature header. "
        "canonical_form is compact JSON (no spaces), keys sorted, every character outside printable ASCII "
        "(U+0020 to U+007E) escaped: \\b \\t \\n \\f \\r as those, any other (U+007F DEL too) as \\uXXXX with "
        "lowercase hex (UTF-16 surrogate pairs above U+FFFF), '\"' and '\\' as \\\" and \\\\, '/' as it is; of: "
        "body_sha256 (lowercase hex), headers (every ce_* header, content-type and traceparent, as [name, value] "
        "sorted by name; a signed header twice is refused), key (the record key as UTF-8 text, or null), topic "
        "(without the deployment's prefix), v = 2. The signature is Ed25519 (RFC 8032) over the "
        "canonical form's bytes, in the header as v2;key=<key id>;sig=<base64 of the 64-byte signature>.",
        "note": NOTE,
        "signing_key": _key_pair(PARTNER_SEED),
        "key_id": key_id(signing_public(PARTNER_SEED)),
        "cases": [
            _record_case("a command", "referral.commands.v1", ce[5][1], ce, body),
            _record_case("no record key, non-ASCII header", "referral.commands.v1", None, non_ascii, body),
            _record_case("JSON escapes in the record key", "referral.commands.v1", ESCAPED_KEY, ce, body),
        ],
    }


def key_ids() -> dict[str, Any]:
    cases = []
    for seed in (PARTNER_SEED, REFERRALS_SEED):
        public = signing_public(seed)
        x = base64.urlsafe_b64encode(base64.b64decode(public)).rstrip(b"=").decode()
        jwk = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"), sort_keys=True)
        cases.append({"public_key_file": public, "jwk": jwk, "key_id": key_id(public)})
    return {
        "what": "A key id: 'ed25519:' + the RFC 7638 JWK thumbprint of the Ed25519 public key: base64url without "
        "padding of SHA-256 of the JWK {crv, kty, x} with exactly those members, sorted, no spaces; x is base64url "
        "(no padding) of the raw 32-byte public key. A key file holds the standard base64 (with padding) of the raw "
        "32 bytes on one line; an Ed25519 private key file holds the 32-byte seed.",
        "note": NOTE,
        "cases": cases,
    }


def data_key_sealing() -> dict[str, Any]:
    contact = ContactDetails(name="Amina Example", phone="+46700000000", language="so").model_dump_json()
    cases = []
    for name, text in (("free text", "Vill börja arbeta inom vården."), ("contact details", contact)):
        nonce = fixed_bytes(f"vector nonce {name}", 24)
        cases.append(
            {
                "name": name,
                "plaintext": text,
                "nonce": b64(nonce),
                "sealed": seal_with_nonce(text.encode(), DATA_KEY, nonce),
            }
        )
    return {
        "what": "A value sealed under a resident's data key: 'sealed:v2:' + base64(nonce ‖ MAC ‖ ciphertext) of "
        "libsodium's crypto_secretbox (XSalsa20-Poly1305; 24-byte nonce, 16-byte Poly1305 MAC) over the UTF-8 "
        "plaintext. Contact details (sealed_contact) are the JSON of an object that contact_details_schema "
        "describes. Draw a random nonce for each value you seal; the vectors give theirs so the output can be "
        "compared.",
        "note": NOTE,
        "contact_details_schema": ContactDetails.model_json_schema(),
        "data_key": b64(DATA_KEY),
        "cases": cases,
    }


def sealed_data_key() -> dict[str, Any]:
    partner_public = x25519_public(PARTNER_X25519)
    copy = b64(sealed_box_with(DATA_KEY, partner_public, fixed_bytes("vector ephemeral data key")))
    participant_ref = fixed_bytes("vector participant").hex()
    answer = signed_answer(
        Signer(REFERRALS_SEED), participant_ref, PARTNER, copy, datetime(2026, 3, 2, 9, 0, 5, tzinfo=UTC)
    )
    return {
        "what": "Your copy of a resident's data key: a libsodium sealed box (crypto_box_seal, X25519) to your "
        "X25519 public key; open it with crypto_box_seal_open and your key pair. Sealed boxes are randomized: "
        "check that you open this one to data_key, not that you make the same bytes. GET /data-key answers it "
        "signed by the referrals service: verify `signature` (v2;key=…;sig=…, Ed25519) over `statement`, the "
        "compact JSON with sorted keys of answered_at, partner, participant_ref, sealed_key and "
        "statement='hubnet data-key answer v1', with the referrals service's key, and that the answer is about "
        "the resident and partner you asked for and answered_at is within 5 minutes of now.",
        "note": NOTE,
        "recipient_x25519_private_key_file": PARTNER_X25519,
        "recipient_x25519_public_key_file": partner_public,
        "sealed_key": copy,
        "data_key": b64(DATA_KEY),
        "referrals_signing_public_key_file": signing_public(REFERRALS_SEED),
        "referrals_key_id": key_id(signing_public(REFERRALS_SEED)),
        "answer": answer,
        "statement": answer_statement(participant_ref, PARTNER, copy, answer["answered_at"]).decode(),
    }


def webhook_signature() -> dict[str, Any]:
    secret = "whsec_" + base64.urlsafe_b64encode(fixed_bytes("vector webhook secret")).rstrip(b"=").decode()
    body = '{"kind":"referral.requested","referral_id":"R-1","hub_id":"hub-angered"}'
    timestamp = 1772442000
    return {
        "what": "The Hubnet-Signature header of a webhook delivery: t=<unix seconds>,v1=<lowercase hex "
        "HMAC-SHA256>, key = the whole secret as UTF-8 (whsec_ included), message = '<t>.' followed by the raw "
        "body bytes. Accept when one v1 matches (constant-time compare) and t is within 300 s of your clock.",
        "note": NOTE,
        "secret": secret,
        "timestamp": timestamp,
        "body": body,
        "header": sign_webhook(body.encode(), secret, timestamp),
    }


def possession_proof() -> dict[str, Any]:
    seed = signing_seed(f"vector partner-{PARTNER} rotated")
    public = signing_public(seed)
    return {
        "what": "The proof of a RotateSigningKey (se.hubnet.directory.rotate-signing-key.v1): base64 of the new "
        "key's Ed25519 signature over the UTF-8 statement: 'hubnet possession v1', the partner id and the new "
        "key's id, each line ended by a newline but the last. Ed25519 signatures are deterministic: yours must be "
        "these bytes.",
        "note": NOTE,
        "partner_id": PARTNER,
        "new_private_key_file": seed,
        "new_public_key_file": public,
        "new_key_id": key_id(public),
        "statement": f"hubnet possession v1\n{PARTNER}\n{key_id(public)}",
        "proof": prove_possession(seed, PARTNER),
    }


_NUMBERS = (
    "19811228-9874",
    "198112289874",
    "811228-9874",
    "8112289874",
    " 811228 9874 ",
    "191212121212",
    "121212+1212",
    "19701063-2391",
    "811228-9873",
    "19811328-9874",
    "81-12-28-9874",
)


def _normalised(number: str) -> dict[str, str]:
    try:
        return {"input": number, "normalised": normalise(number, today=TODAY)}
    except InvalidPersonalNumber as exc:
        return {"input": number, "refused": str(exc)}


def personnummer() -> dict[str, Any]:
    referrals_public = x25519_public(REFERRALS_X25519)
    number = normalise("19811228-9874", today=TODAY)
    sealed = b64(sealed_box_with(number.encode(), referrals_public, fixed_bytes("vector ephemeral personnummer")))
    return {
        "what": "How a partner proves it knows a resident (RecordConsent, EraseParticipant: sealed_personnummer). "
        "1. Normalise: drop spaces; accept YYYYMMDD-NNNC, YYYYMMDDNNNC, YYMMDD-NNNC, YYMMDDNNNC ('-' or '+'); a "
        "10-digit number gets the century that puts it in the last 100 years as of today, one century earlier "
        "with '+'; a samordningsnummer has day + 60; the date must exist and the Luhn check digit over the 10 "
        "digits YYMMDDNNNC must match; the result is the 12 digits YYYYMMDDNNNC. 2. Seal those 12 ASCII bytes in "
        "a libsodium sealed box (crypto_box_seal) to the referrals service's X25519 public key "
        "(service-referrals.x25519.pub) and send base64 of it. The answer (CommandAccepted.participant_ref) is "
        "the resident's reference; only the referrals service can compute it. Sealed boxes are randomized: the "
        "case below gives the service's private key so you can check you open it, not that you make the same bytes.",
        "note": NOTE,
        "today": TODAY.isoformat(),
        "normalisation": [_normalised(n) for n in _NUMBERS],
        "referrals_x25519_private_key_file": REFERRALS_X25519,
        "referrals_x25519_public_key_file": referrals_public,
        "sealed_personnummer": sealed,
        "opens_to": number,
    }


VECTORS = {
    "signed-record.json": signed_record,
    "key-id.json": key_ids,
    "data-key-sealing.json": data_key_sealing,
    "sealed-data-key.json": sealed_data_key,
    "webhook-signature.json": webhook_signature,
    "personnummer.json": personnummer,
    "possession-proof.json": possession_proof,
}


def rendered() -> dict[str, str]:
    """Every vector file, by path relative to docs/contract/."""
    return {
        f"vectors/{name}": json.dumps(make(), indent=2, ensure_ascii=False) + "\n" for name, make in VECTORS.items()
    }
