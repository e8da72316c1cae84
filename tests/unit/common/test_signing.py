"""Who sent it: signatures over the CloudEvents headers and body, verified against known keys."""

import hashlib
import json
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hubnet_common.ops.local.partners import LocalPartnerClient
from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.identity import partner_source, service_source
from hubnet_common.sdk.keys import generate
from hubnet_common.sdk.messages.audit import MessageRejected
from hubnet_common.sdk.messages.replies import CommandAccepted, CommandRejected
from hubnet_common.sdk.signing import (
    PublicSigningKey,
    SignatureRefused,
    Signer,
    canonical_form,
    key_id,
    prove_possession,
    public_signing_key,
)
from hubnet_common.sdk.trust import PARALLEL_FROM, Claim, StaticKeyRing, Verifier, trusted_service_keys
from hubnet_common.service.processing import Record
from hubnet_referrals.domain.directory import KeyNotProven, Partner
from tests.unit.common.fakes.network import signed, signer
from tests.unit.common.fakes.referrals import referrals_processor

BRG, STADSMISSIONEN = partner_source("brg"), partner_source("stadsmissionen")
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
TOPIC = "referral.commands.v1"


def command(source=BRG, at=NOW, body=b'{"x": 1}') -> tuple[bytes, list, bytes, Envelope]:
    envelope = replace(Envelope.new(type="se.hubnet.referral.accept.v1", source=source, subject="R-1"), time=at)
    return b"R-1", envelope.to_headers(), body, envelope


def verifier(*keys: PublicSigningKey, grace: float = 0.0) -> Verifier:
    return Verifier(StaticKeyRing(keys), window=timedelta(minutes=5), unknown_key_grace=grace)


@pytest.fixture
def brg():
    pair = generate("ed25519")
    return Signer(pair.private), PublicSigningKey(BRG, pair.public)


async def refused(verifier_, key, headers, body, envelope, *, received_at=NOW, command_=True, topic=TOPIC) -> str:
    with pytest.raises(SignatureRefused) as caught:
        await verifier_.verify(key, headers, body, envelope, received_at=received_at, command=command_, topic=topic)
    assert caught.value.reason
    return caught.value.code


async def test_a_signed_command_is_verified_as_its_sender(brg):
    sign, public = brg
    key, headers, body, envelope = command()
    assert (
        await verifier(public).verify(
            key,
            sign.sign(TOPIC, key, headers, body),
            body,
            envelope,
            received_at=NOW + timedelta(seconds=2),
            command=True,
            topic=TOPIC,
        )
        == public
    )


async def test_the_canonical_form_does_not_depend_on_header_order_and_ignores_other_headers():
    key, headers, body, _ = command()
    shuffled = [*reversed(headers), ("dlq_reason", b"x"), ("hubnet_replayed_from", b"t/0/1")]
    assert canonical_form(TOPIC, key, headers, body) == canonical_form(TOPIC, key, shuffled, body)
    document = json.loads(canonical_form(TOPIC, key, headers, body))
    assert [name for name, _ in document["headers"]] == sorted(
        ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject", "content-type", "traceparent"]
    )


@given(
    st.lists(
        st.tuples(st.sampled_from(["ce_id", "ce_subject", "traceparent", "x-other"]), st.text()),
        unique_by=lambda h: h[0],
    ),
    st.one_of(st.none(), st.text()),
    st.binary(max_size=40),
)
@example([("ce_subject", "R-\x7f1")], "R-1", b"")  # DEL is printable to nobody: json.dumps escapes it
@example([], None, b"")
def test_the_canonical_form_is_the_sorted_compact_ascii_json_of_the_signed_parts(headers, key, body):
    """Written out by hand when nothing needs escaping; the same bytes as json.dumps either way."""
    raw = [(name, value.encode()) for name, value in headers]
    signed = sorted((name, value) for name, value in headers if name != "x-other")
    expected = {"body_sha256": hashlib.sha256(body).hexdigest(), "headers": [list(p) for p in signed], "v": 2}
    expected |= {"key": key, "topic": TOPIC}
    form = canonical_form(TOPIC, key.encode() if key is not None else None, raw, body)
    assert form == json.dumps(expected, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


async def test_an_unsigned_message_is_refused(brg):
    key, headers, body, envelope = command()
    assert await refused(verifier(brg[1]), key, headers, body, envelope) == "unsigned"


async def test_a_key_nobody_has_is_refused_after_the_grace_time(brg):
    stranger = Signer(generate("ed25519").private)
    key, headers, body, envelope = command()
    assert (
        await refused(verifier(brg[1], grace=0.3), key, stranger.sign(TOPIC, key, headers, body), body, envelope)
        == "unknown-key"
    )


async def test_a_key_waited_for_in_vain_is_not_waited_for_again_but_still_found_once_known(brg):
    stranger = Signer(generate("ed25519").private)
    ring = StaticKeyRing([brg[1]])
    verify = Verifier(ring, window=timedelta(minutes=5), unknown_key_grace=0.5)
    key, headers, body, envelope = command()
    signed = stranger.sign(TOPIC, key, headers, body)
    waits = []
    for _ in range(3):
        started = time.monotonic()
        assert await refused(verify, key, signed, body, envelope) == "unknown-key"
        waits.append(time.monotonic() - started)
    assert waits[0] >= 0.5 and max(waits[1:]) < 0.1  # one partition stall, not one per record
    public = PublicSigningKey(BRG, public_signing_key(stranger_private := generate("ed25519").private))
    ring.keys[public.id] = public  # a partner's new key reaches the directory copy
    late = Signer(stranger_private).sign(TOPIC, key, headers, body)
    await verify.verify(key, late, body, envelope, received_at=NOW, command=True, topic=TOPIC)


@pytest.mark.parametrize(
    "change",
    [
        lambda key, headers, body: (key, headers, body.replace(b"1", b"2")),  # the body
        lambda key, headers, body: (
            key,
            [(n, b"se.hubnet.referral.cancel.v1" if n == "ce_type" else v) for n, v in headers],
            body,
        ),  # a header
        lambda key, headers, body: (key, [*headers, ("ce_dataschema", b"https://evil.example")], body),  # one added
        lambda key, headers, body: (b"R-2", headers, body),  # the record key
    ],
)
async def test_anything_changed_after_signing_is_refused(brg, change):
    sign, public = brg
    key, headers, body, envelope = command()
    key, headers, body = change(key, sign.sign(TOPIC, key, headers, body), body)
    assert await refused(verifier(public), key, headers, body, envelope) == "bad-signature"


async def test_a_record_copied_onto_another_topic_is_refused(brg):
    sign, public = brg
    key, headers, body, envelope = command()
    signed_for_referrals = sign.sign(TOPIC, key, headers, body)
    assert json.loads(canonical_form(TOPIC, key, headers, body))["topic"] == TOPIC
    assert (
        await refused(verifier(public), key, signed_for_referrals, body, envelope, topic="hubevent.commands.v1")
        == "bad-signature"
    )


async def test_a_signature_labelled_with_the_old_form_without_the_topic_is_refused(brg):
    sign, public = brg
    key, headers, body, envelope = command()
    old = [
        (n, v.replace(b"v2;", b"v1;", 1) if n == "hubnet_signature" else v)
        for n, v in sign.sign(TOPIC, key, headers, body)
    ]
    assert await refused(verifier(public), key, old, body, envelope) == "bad-signature"


async def test_a_partner_cannot_sign_in_another_partners_name(brg):
    sign, public = brg
    key, headers, body, envelope = command(source=STADSMISSIONEN)
    assert (
        await refused(verifier(public), key, sign.sign(TOPIC, key, headers, body), body, envelope) == "source-mismatch"
    )


async def test_commands_come_from_partners_and_facts_from_services():
    pair = generate("ed25519")
    service, public = Signer(pair.private), PublicSigningKey(service_source("referrals"), pair.public)
    key, headers, body, envelope = command(source=service_source("referrals"))
    headers = service.sign(TOPIC, key, headers, body)
    # A fact may wait in an outbox while Kafka is away: facts have no time window.
    assert (
        await verifier(public).verify(
            key, headers, body, envelope, received_at=NOW + timedelta(days=2), command=False, topic=TOPIC
        )
        == public
    )
    assert await refused(verifier(public), key, headers, body, envelope) == "source-mismatch"


async def test_an_old_command_sent_again_is_a_replay(brg):
    sign, public = brg
    key, headers, body, envelope = command(at=NOW - timedelta(minutes=6))
    assert await refused(verifier(public), key, sign.sign(TOPIC, key, headers, body), body, envelope) == "replay"


async def test_after_a_rotation_the_old_key_works_until_its_end_and_the_new_one_from_its_start():
    old, new = generate("ed25519"), generate("ed25519")
    partner = (
        Partner("brg", "BRG")
        .enrol(old.public)
        .rotate_signing_key(new.public, prove_possession(new.private, "brg"), NOW, NOW + timedelta(hours=2))
    )
    [old_key, new_key] = partner.signing_keys
    assert (old_key.valid_until, new_key.valid_from, new_key.valid_until) == (NOW + timedelta(hours=2), NOW, None)
    verify = verifier(*partner.signing_keys)
    for private, at, expected in [
        (old.private, NOW + timedelta(hours=1), None),
        (old.private, NOW + timedelta(hours=3), "key-not-valid"),
        (new.private, NOW + timedelta(hours=3), None),
        (new.private, NOW - timedelta(hours=1), "key-not-valid"),
    ]:
        key, headers, body, envelope = command(at=at)
        headers = Signer(private).sign(TOPIC, key, headers, body)
        if expected is None:
            await verify.verify(key, headers, body, envelope, received_at=at, command=True, topic=TOPIC)
        else:
            assert await refused(verify, key, headers, body, envelope, received_at=at) == expected


def test_rotating_to_a_key_the_partner_has_changes_nothing_and_the_default_overlap_is_a_day():
    first, second = generate("ed25519").public, generate("ed25519")
    proof = prove_possession(second.private, "brg")
    partner = Partner("brg", "BRG").enrol(first).rotate_signing_key(second.public, proof, NOW, None)
    assert partner.signing_keys[0].valid_until == NOW + timedelta(days=1)
    assert partner.rotate_signing_key(second.public, proof, NOW + timedelta(hours=1), None) == partner
    assert partner.enrol(generate("ed25519").public) == partner  # enrolment only gives a first key


def test_a_rotation_must_prove_the_partner_holds_the_new_key():
    partner = Partner("brg", "BRG").enrol(generate("ed25519").public)
    wanted, own = generate("ed25519"), generate("ed25519")
    for proof in [
        prove_possession(own.private, "brg"),  # signed by another key
        prove_possession(wanted.private, "bostadsbolaget"),  # made for another partner
        "A" * 86 + "==",  # no signature at all
    ]:
        with pytest.raises(KeyNotProven):
            partner.rotate_signing_key(wanted.public, proof, NOW, None)


def test_a_key_id_is_the_full_rfc_7638_thumbprint():
    # RFC 8037 appendix A.3: the thumbprint of its Ed25519 example key.
    assert (
        key_id("11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=") == "ed25519:kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    )


async def test_a_forged_command_is_dead_lettered_audited_and_does_not_block_the_real_one():
    processor, uow, dead = await referrals_processor()
    body = json.dumps({"partner_id": "bostadsbolaget", "name": "Taken over"}).encode()
    envelope = Envelope.new(
        type="se.hubnet.directory.update-partner.v1",
        source=partner_source("bostadsbolaget"),
        subject="partner:bostadsbolaget",
    )
    real = Record("referral.commands.v1", 0, 5, b"partner:bostadsbolaget", body, tuple(envelope.to_headers()))
    forged = replace(signed(real, by="partner-brg"), offset=4)  # same ce_id, brg's key, bostadsbolaget's name

    assert await processor.process(forged) == "dead-lettered"
    [(kept, code, _)] = dead.sent
    assert code == "source-mismatch" and kept.offset == 4
    [audit] = [MessageRejected.model_validate_json(o.body) for o in uow.committed if o.topic == MessageRejected.topic]
    assert (audit.code, audit.claimed_source, audit.claimed_id) == ("source-mismatch", envelope.source, envelope.id)
    [answer] = [
        CommandRejected.model_validate_json(o.body) for o in uow.committed if o.envelope.type == CommandRejected.ce_type
    ]
    assert answer.code == "source-mismatch" and answer.recipient == envelope.source
    assert uow.directory.partners["bostadsbolaget"].name != "Taken over"

    assert await processor.process(forged) == "dead-lettered"  # delivered again: audited once
    assert len([o for o in uow.committed if o.topic == MessageRejected.topic]) == 1
    assert await processor.process(signed(real, by="partner-bostadsbolaget")) == "accepted"
    assert uow.directory.partners["bostadsbolaget"].name == "Taken over"


async def test_a_partner_takes_only_answers_a_hubnet_service_signed():
    client = LocalPartnerClient("127.0.0.1:1", "brg")  # never started: only its checking of answers is used
    answer = CommandAccepted(command_id="c-1", command_type="t", recipient=BRG, aggregate_id="R-1")
    envelope = Envelope.new(type=answer.ce_type, source=service_source("referrals"), subject="R-1")
    body = answer.model_dump_json().encode()

    def record(by: str) -> SimpleNamespace:
        return SimpleNamespace(
            key=b"R-1",
            value=body,
            headers=signer(by).sign(client.replies_topic.name, b"R-1", envelope.to_headers(), body),
        )

    assert await client._trusted_reply(record("service-referrals")) == answer
    with pytest.raises(SignatureRefused):
        await client._trusted_reply(record("partner-stadsmissionen"))  # another partner posing as the service


def test_a_service_may_have_two_trusted_keys_while_it_rotates(tmp_path):
    for name in ("service-events", "service-events.2027", "partner-brg"):
        (tmp_path / f"{name}.ed25519.pub").write_text(generate("ed25519").public + "\n")
    keys = trusted_service_keys(tmp_path)
    assert [key.owner for key in keys] == [service_source("events")] * 2  # partners are never trusted from files


async def test_a_service_key_expires_at_the_time_beside_it_and_signs_only_its_own_facts(tmp_path):
    pair = generate("ed25519")
    (tmp_path / "service-events.ed25519.pub").write_text(pair.public + "\n")
    (tmp_path / "service-events.ed25519.pub.valid-until").write_text((NOW + timedelta(days=1)).isoformat())
    verify, signer = verifier(*trusted_service_keys(tmp_path)), Signer(pair.private)

    def fact(at, topic="hubevent.events.v1"):
        envelope = replace(
            Envelope.new(type="se.hubnet.hubevent.scheduled.v1", source=service_source("events"), subject="E-1"),
            time=at,
        )
        return b"E-1", signer.sign(topic, b"E-1", envelope.to_headers(), b"{}"), b"{}", envelope

    key, headers, body, envelope = fact(NOW)
    await verify.verify(key, headers, body, envelope, received_at=NOW, command=False, topic="hubevent.events.v1")
    later = fact(NOW + timedelta(days=2))
    assert await refused(verify, *later, command_=False, topic="hubevent.events.v1") == "key-not-valid"
    key, headers, body, envelope = fact(NOW, topic="referral.events.v1")
    with pytest.raises(SignatureRefused) as caught:
        await verify.verify(key, headers, body, envelope, received_at=NOW, command=False, topic="referral.events.v1")
    assert caught.value.code == "out-of-scope"


async def test_in_a_large_batch_each_record_gets_its_own_verdict(brg):
    """A batch this large is checked on two threads: a forged record stays refused where it is."""
    sign, public = brg
    other = Signer(generate("ed25519").private)
    claims, forged = [], {3, 17, 30}
    for n in range(40):
        key, headers, body, envelope = command(body=f'{{"n": {n}}}'.encode())
        by = other if n in forged else sign
        claims.append(Claim(key, by.sign(TOPIC, key, headers, body), body, envelope, NOW))
    claims[25] = replace(claims[25], body=b'{"n": "changed"}')
    assert len(claims) >= PARALLEL_FROM
    verdicts = await verifier(public).verify_all(claims, command=True, topic=TOPIC)
    refused_at = {n: v.code for n, v in enumerate(verdicts) if isinstance(v, SignatureRefused)}
    assert refused_at == {3: "unknown-key", 17: "unknown-key", 30: "unknown-key", 25: "bad-signature"}
    assert all(v == public for n, v in enumerate(verdicts) if n not in refused_at)
