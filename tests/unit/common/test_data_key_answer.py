"""The data-key answer as the SDK checks it (hubnet_common/sdk/data_key.py): signed by the
referrals service, about the resident and partner asked for, and recent."""

from datetime import UTC, datetime, timedelta

import pytest

from hubnet_common.sdk.data_key import DataKeyAnswerRefused, InsecureURL, check_url, checked_answer, signed_answer
from hubnet_common.sdk.identity import service_source
from hubnet_common.sdk.keys import generate
from hubnet_common.sdk.signing import PublicSigningKey, Signer

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
REF = "ab" * 32


@pytest.fixture
def referrals():
    pair = generate("ed25519")
    return Signer(pair.private), [PublicSigningKey(service_source("referrals"), pair.public)]


def test_a_signed_answer_gives_its_sealed_copy(referrals):
    signer, keys = referrals
    answer = signed_answer(signer, REF, "brg", "sealed:v1:x", NOW - timedelta(seconds=30))
    assert checked_answer(answer, REF, "brg", keys, NOW) == "sealed:v1:x"


@pytest.mark.parametrize("answered", [NOW - timedelta(minutes=6), NOW + timedelta(minutes=6)])
def test_an_answer_made_long_before_or_after_now_is_refused(referrals, answered):
    signer, keys = referrals
    with pytest.raises(DataKeyAnswerRefused, match="more than 300 s"):
        checked_answer(signed_answer(signer, REF, "brg", "sealed:v1:x", answered), REF, "brg", keys, NOW)


def test_a_changed_copy_is_refused(referrals):
    signer, keys = referrals
    answer = signed_answer(signer, REF, "brg", "sealed:v1:x", NOW) | {"sealed_key": "sealed:v1:y"}
    with pytest.raises(DataKeyAnswerRefused, match="not the referrals service's"):
        checked_answer(answer, REF, "brg", keys, NOW)


def test_a_key_of_the_referrals_service_no_longer_valid_is_refused(referrals):
    signer, [key] = referrals
    retired = PublicSigningKey(key.owner, key.public_key, valid_until=NOW - timedelta(days=1))
    with pytest.raises(DataKeyAnswerRefused, match="no key of the referrals service"):
        checked_answer(signed_answer(signer, REF, "brg", "sealed:v1:x", NOW), REF, "brg", [retired], NOW)


@pytest.mark.parametrize(
    "url", ["https://referrals.example", "http://127.0.0.1:8181", "http://localhost:8181", "http://[::1]:8181"]
)
def test_https_and_loopback_http_are_taken(url):
    check_url(url)


@pytest.mark.parametrize("url", ["http://referrals:8181", "http://10.0.0.5", "ftp://referrals.example"])
def test_plain_http_elsewhere_is_refused_unless_allowed(url):
    with pytest.raises(InsecureURL):
        check_url(url)
    if url.startswith("http:"):
        check_url(url, allow_insecure_http=True)
