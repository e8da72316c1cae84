"""A record with a signed header twice is refused, even when its sender's signature covers both
values (docs/security.md, "A signed header that appears twice is refused"): which of the two a
consumer would act on is a guess, and a second reader could guess the other way. The same holds
for a second signature header. Through the referrals service's processing, on the fakes."""

import base64
import hashlib
import json
from dataclasses import replace

from nacl.signing import SigningKey

from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.identity import partner_source
from hubnet_common.sdk.keys import decode, read_key
from hubnet_common.sdk.messages.audit import MessageRejected
from hubnet_common.sdk.signing import SIGNATURE_HEADER, key_id
from hubnet_common.service.processing import Record
from hubnet_common.service.settings import Settings
from tests.unit.common.fakes.network import signed
from tests.unit.common.fakes.referrals import referrals_processor

SENDER = "bostadsbolaget"
UPDATE_PARTNER, CANCEL = "se.hubnet.directory.update-partner.v1", "se.hubnet.referral.cancel.v1"


def update_partner() -> Record:
    body = json.dumps({"partner_id": SENDER, "name": "Renamed"}).encode()
    envelope = Envelope.new(type=UPDATE_PARTNER, source=partner_source(SENDER), subject=f"partner:{SENDER}")
    return Record("referral.commands.v1", 0, 3, f"partner:{SENDER}".encode(), body, tuple(envelope.to_headers()))


def signed_as_written(record: Record) -> Record:
    """Signed with the sender's real key over its headers as they are, duplicates included: the
    signed form of docs/security.md, as a partner's own implementation of it would make it."""
    private = read_key(Settings().keys_dir / f"partner-{SENDER}.ed25519.key")
    public = read_key(Settings().keys_dir / f"partner-{SENDER}.ed25519.pub")
    covered = sorted(
        [name, value.decode()]
        for name, value in record.headers
        if name.startswith("ce_") or name in ("content-type", "traceparent")
    )
    document = {
        "body_sha256": hashlib.sha256(record.value).hexdigest(),
        "headers": covered,
        "key": record.key.decode(),
        "topic": record.topic,
        "v": 2,
    }
    form = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
    signature = SigningKey(decode(private, "key")).sign(form).signature
    value = f"v2;key={key_id(public)};sig={base64.b64encode(signature).decode()}".encode()
    return replace(record, headers=(*record.headers, (SIGNATURE_HEADER, value)))


async def test_a_command_with_its_type_twice_is_dead_lettered_and_changes_nothing():
    processor, uow, dead = await referrals_processor()
    record = update_partner()
    twice = replace(record, headers=(("ce_type", CANCEL.encode()), *record.headers))  # cancel, then update-partner
    name_before = uow.directory.partners[SENDER].name

    assert await processor.process(signed_as_written(twice)) == "dead-lettered"
    [(_, code, reason)] = dead.sent
    assert code == "bad-signature" and "more than once" in reason
    assert uow.directory.partners[SENDER].name == name_before
    [audit] = [MessageRejected.model_validate_json(o.body) for o in uow.committed if o.topic == MessageRejected.topic]
    assert audit.code == "bad-signature"

    assert (
        await processor.process(signed_as_written(replace(record, offset=4))) == "accepted"
    )  # written once, it counts
    assert uow.directory.partners[SENDER].name == "Renamed"


async def test_a_record_with_two_signature_headers_is_dead_lettered_even_when_both_are_valid():
    processor, uow, dead = await referrals_processor()
    once = signed(update_partner(), by=f"partner-{SENDER}")
    [signature] = [h for h in once.headers if h[0] == SIGNATURE_HEADER]
    name_before = uow.directory.partners[SENDER].name

    assert await processor.process(replace(once, headers=(*once.headers, signature))) == "dead-lettered"
    [(_, code, reason)] = dead.sent
    assert code == "bad-signature" and SIGNATURE_HEADER in reason
    assert uow.directory.partners[SENDER].name == name_before
