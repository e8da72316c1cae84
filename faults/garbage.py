"""Bad input for the command topics: each kind of garbage a partner system (or an attacker) could
put there, and a hypothesis strategy that makes new garbage from real commands. Used by the
`bad-input` fault run and by the fuzz test of the processor."""

from __future__ import annotations

import json

from hypothesis import strategies as st

from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.messages import referral_commands as c
from hubnet_common.sdk.signing import SignatureRefused, Signer

Headers = list[tuple[str, bytes]]
SENDER = "urn:hubnet:partner:bostadsbolaget"
HUGE_BODY_BYTES = 600_000  # over the processor's limit, within Kafka's 1 MiB
VALID_BODY = b'{"service_id": "brg-starta-eget"}'  # whatever its schema says, it is never read


def _valid_headers(subject: str) -> Headers:
    return Envelope.new(type=c.CreateReferral.ce_type, source=SENDER, subject=subject).to_headers()


def _replaced(headers: Headers, name: str, value: bytes) -> Headers:
    return [(n, value if n == name else v) for n, v in headers]


def garbage(kind: str, subject: str, sender: Signer, impostor: Signer) -> tuple[bytes, Headers]:
    """(body, headers) of one kind of garbage, keyed by `subject`, signed by `sender` (the partner
    of SENDER) where a partner's buggy system would have signed it; the dead-letter reason it
    must get is `REASONS[kind]`. Send it as it is (not signed again)."""
    headers = _valid_headers(subject)

    def signed(body: bytes, headers: Headers, signer: Signer = sender) -> tuple[bytes, Headers]:
        return body, signer.sign(c.TOPIC, subject.encode(), headers, body)

    return {
        "not-json": lambda: signed(b"{not json", headers),
        "invalid-utf8-body": lambda: signed(b'{"service_id": "\xff\xfe"}', headers),
        "wrong-schema": lambda: signed(b'{"service_id": 42}', headers),
        "unknown-type": lambda: signed(b"{}", _replaced(headers, "ce_type", b"se.hubnet.referral.teleport.v1")),
        "no-headers": lambda: (b'{"x": 1}', []),
        "invalid-utf8-header": lambda: (b"{}", _replaced(headers, "ce_source", b"urn:\xc3\x28")),
        "huge": lambda: signed(json.dumps({"service_id": "x", "note": "x" * HUGE_BODY_BYTES}).encode(), headers),
        "control-character-header": lambda: (b"{}", _replaced(headers, "ce_subject", b"R-\x00-1")),
        "nul-in-body": lambda: signed(b'{"service_id": "brg\\u0000"}', headers),
        "unsigned": lambda: (VALID_BODY, headers),
        "tampered": lambda: (VALID_BODY.replace(b"brg", b"grb"), signed(VALID_BODY, headers)[1]),
        "forged": lambda: signed(VALID_BODY, headers, impostor),  # another partner's key, SENDER's name
    }[kind]()


REASONS = {
    "not-json": "invalid-body",
    "invalid-utf8-body": "invalid-body",
    "wrong-schema": "invalid-body",
    "unknown-type": "unknown-type",
    "no-headers": "invalid-envelope",
    "invalid-utf8-header": "invalid-envelope",
    "huge": "too-large",
    "control-character-header": "invalid-envelope",
    "nul-in-body": "invalid-body",
    "unsigned": "unsigned",
    "tampered": "bad-signature",
    "forged": "source-mismatch",
}
KINDS = tuple(REASONS)

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
_header_names = st.sampled_from(
    ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject", "content-type", "traceparent"]
) | st.text(max_size=12)
_header_values = st.binary(max_size=40) | st.text(max_size=40).map(str.encode)


@st.composite
def fuzzed_commands(draw) -> tuple[bytes, Headers]:
    """A real CreateReferral's headers and body, with some of both replaced, dropped or added
    (to be signed as they are, so that what is past the signature check is fuzzed too)."""
    headers = _valid_headers(draw(st.text(min_size=1, max_size=12)))
    for _ in range(draw(st.integers(0, 3))):
        action, name = draw(st.sampled_from(["replace", "drop", "add"])), draw(_header_names)
        if action == "replace":
            headers = _replaced(headers, name, draw(_header_values))
        elif action == "drop":
            headers = [(n, v) for n, v in headers if n != name]
        else:
            headers.append((name, draw(_header_values)))
    body = draw(
        st.one_of(
            st.binary(max_size=300),
            _json.map(lambda value: json.dumps(value).encode()),
            st.dictionaries(
                st.sampled_from(
                    ["referral_id", "service_id", "hub_id", "participant_ref", "purpose", "consent_id", "note"]
                ),
                _json,
                max_size=7,
            ).map(lambda d: json.dumps(d).encode()),
        )
    )
    return body, headers


def signed_if_possible(signer: Signer, key: str, body: bytes, headers: Headers) -> Headers:
    """Fuzzed headers signed, unless they cannot be (a signed header twice, or not UTF-8)."""
    try:
        return signer.sign(c.TOPIC, key.encode(), headers, body)
    except SignatureRefused:
        return headers
