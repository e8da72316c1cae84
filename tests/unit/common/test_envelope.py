import time
import uuid

import pytest

from hubnet_common.sdk.envelope import Envelope, EnvelopeInvalid, uuid7
from hubnet_common.sdk.identity import partner_of, partner_source


def test_headers_carry_every_cloudevents_attribute_and_read_back_the_same():
    envelope = Envelope.new(
        type="se.hubnet.referral.requested.v1", source="urn:hubnet:service:referrals", subject="R-1"
    )
    headers = dict(envelope.to_headers())
    assert headers["ce_specversion"] == b"1.0"
    assert headers["content-type"] == b"application/json"
    assert headers["ce_subject"] == b"R-1"
    assert Envelope.from_headers(envelope.to_headers()) == envelope


def test_a_caused_message_continues_the_trace_with_a_new_span():
    command = Envelope.new(type="a", source="s", subject="x")
    fact = Envelope.new(type="b", source="s", subject="x", caused_by=command)
    assert fact.trace_id == command.trace_id
    assert fact.traceparent != command.traceparent


@pytest.mark.parametrize(
    ("drop", "message"),
    [("ce_id", "ce_id"), ("ce_type", "ce_type"), ("ce_source", "ce_source"), ("ce_specversion", "ce_specversion")],
)
def test_missing_required_header_is_named(drop, message):
    headers = [(n, v) for n, v in Envelope.new(type="t", source="s", subject="x").to_headers() if n != drop]
    with pytest.raises(EnvelopeInvalid, match=message):
        Envelope.from_headers(headers)


def test_header_that_is_not_utf8_is_refused():
    headers = [*Envelope.new(type="t", source="s", subject="x").to_headers(), ("ce_subject", b"\xff\xfe")]
    with pytest.raises(EnvelopeInvalid, match="UTF-8"):
        Envelope.from_headers(headers)


def test_uuid7_is_version_7_and_time_ordered():
    ids = [uuid7() for _ in range(200)]
    assert all(uuid.UUID(i).version == 7 and uuid.UUID(i).variant == uuid.RFC_4122 for i in ids)
    assert all(str(uuid.UUID(i)) == i for i in ids)  # the canonical lower-case text form
    assert [i[:13] for i in ids] == sorted(i[:13] for i in ids)  # the millisecond prefix never goes back
    assert abs((uuid.UUID(ids[-1]).int >> 80) - time.time() * 1000) < 5000  # its first 48 bits are now, in ms
    assert len({i[15:] for i in ids}) == len(ids)  # and the rest is random


def test_partner_of_reads_only_partner_sources():
    assert partner_of(partner_source("brg")) == "brg"
    assert partner_of("urn:hubnet:service:referrals") is None
    assert partner_of("urn:hubnet:partner:") is None
