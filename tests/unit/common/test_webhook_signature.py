import hashlib
import hmac

import pytest

from hubnet_common.sdk.webhook_signature import SignatureInvalid, new_secret, sign, verify

BODY = b'{"event":"referral.requested","referral_id":"r-1"}'
NOW = 1_760_000_000


@pytest.fixture
def secret():
    return new_secret()


def test_round_trip(secret):
    header = sign(BODY, secret, timestamp=NOW)
    verify(BODY, header, secret, now=NOW)
    verify(BODY, header, secret, now=NOW + 299)


def test_round_trip_with_current_time(secret):
    verify(BODY, sign(BODY, secret), secret)


def test_header_format_is_documented_hmac(secret):
    header = sign(BODY, secret, timestamp=NOW)
    expected = hmac.new(secret.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert header == f"t={NOW},v1={expected}"


def test_tampered_body_fails(secret):
    header = sign(BODY, secret, timestamp=NOW)
    with pytest.raises(SignatureInvalid, match="signature mismatch"):
        verify(BODY.replace(b"r-1", b"r-2"), header, secret, now=NOW)


def test_wrong_secret_fails(secret):
    header = sign(BODY, secret, timestamp=NOW)
    with pytest.raises(SignatureInvalid, match="signature mismatch"):
        verify(BODY, header, new_secret(), now=NOW)


def test_changed_timestamp_fails(secret):
    signature = sign(BODY, secret, timestamp=NOW).split(",")[1]
    with pytest.raises(SignatureInvalid, match="signature mismatch"):
        verify(BODY, f"t={NOW + 10},{signature}", secret, now=NOW)


@pytest.mark.parametrize("age", [301, 3600, -301])
def test_timestamp_outside_tolerance_fails(secret, age):
    header = sign(BODY, secret, timestamp=NOW - age)
    with pytest.raises(SignatureInvalid, match="timestamp outside tolerance"):
        verify(BODY, header, secret, now=NOW)


def test_tolerance_is_configurable(secret):
    header = sign(BODY, secret, timestamp=NOW - 60)
    verify(BODY, header, secret, now=NOW, tolerance_seconds=60)
    with pytest.raises(SignatureInvalid, match="timestamp outside tolerance"):
        verify(BODY, header, secret, now=NOW, tolerance_seconds=59)


@pytest.mark.parametrize(
    "header",
    [
        "",
        "garbage",
        f"v1={'a' * 64}",
        f"t={NOW}",
        f"t=soon,v1={'a' * 64}",
        f"t={NOW},v1=",
        f"t={NOW},t={NOW},v1={'a' * 64}",
        f"t=-5,v1={'a' * 64}",
    ],
)
def test_malformed_header_fails(secret, header):
    with pytest.raises(SignatureInvalid, match="malformed signature header"):
        verify(BODY, header, secret, now=NOW)


def test_several_v1_values_one_matching_passes(secret):
    """During secret rotation hubnet signs with the old and the new secret."""
    old = new_secret()
    old_sig = sign(BODY, old, timestamp=NOW).split(",v1=")[1]
    new_sig = sign(BODY, secret, timestamp=NOW).split(",v1=")[1]
    header = f"t={NOW},v1={old_sig},v1={new_sig}"
    verify(BODY, header, secret, now=NOW)
    verify(BODY, header, old, now=NOW)
    with pytest.raises(SignatureInvalid, match="signature mismatch"):
        verify(BODY, header, new_secret(), now=NOW)


def test_unknown_schemes_are_ignored(secret):
    header = sign(BODY, secret, timestamp=NOW) + ",v0=deadbeef"
    verify(BODY, header, secret, now=NOW)


def test_signature_invalid_is_a_value_error():
    assert issubclass(SignatureInvalid, ValueError)


def test_new_secret():
    a, b = new_secret(), new_secret()
    assert a.startswith("whsec_") and b.startswith("whsec_")
    assert a != b
    assert len(a) == len("whsec_") + 43  # 32 bytes, url-safe base64 without padding
