"""The FastStream edge: every subscriber follows the offset rules of docs/adr/0002-own-batch-processor.md
and hands the processor the record untouched, even when the body is not JSON or a header not UTF-8
(FastStream's in-memory TestKafkaBroker)."""

from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import TestKafkaBroker
from faststream.kafka.message import KafkaMessage
from faststream.kafka.parser import AioKafkaBatchParser

from hubnet_common.service.processing import Record
from hubnet_common.service.runtime import build_app, keep_raw_headers
from hubnet_common.service.settings import Settings
from hubnet_events import bootstrap as events
from hubnet_notifications import bootstrap as notifications
from hubnet_referrals import bootstrap as referrals


class RecordingProcessor:
    def __init__(self) -> None:
        self.records: list[Record] = []

    async def process_batch(self, records: list[Record]) -> list[str]:
        self.records += records
        return ["processed"] * len(records)


def test_every_subscriber_commits_after_processing_and_starts_at_the_earliest_record():
    for spec in (referrals.spec(), events.spec(), notifications.spec()):
        app, _runtime = build_app(spec, Settings(group_prefix="unit", topic_prefix=""))
        [broker] = app.streams.brokers
        assert len(broker.subscribers) == len(spec.routes)
        for subscriber in broker.subscribers:
            consumer_settings = subscriber._connection_args  # what FastStream hands to AIOKafkaConsumer
            assert subscriber.ack_policy is AckPolicy.ACK, spec.name
            assert subscriber.max_records == 500  # a backlog is applied a batch at a time
            assert consumer_settings["enable_auto_commit"] is False
            assert consumer_settings["auto_offset_reset"] == "earliest"
            assert subscriber.group_id.startswith(f"unit-{spec.name}-")


async def test_a_body_that_is_not_json_reaches_the_processor_as_it_was():
    app, runtime = build_app(referrals.spec(), Settings(group_prefix="unit", topic_prefix=""))
    [broker] = app.streams.brokers
    recording = runtime.processors["referral.commands.v1"] = RecordingProcessor()
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish(b"{not json", "referral.commands.v1", key=b"R-1", headers={"ce_id": "x"})
    [record] = recording.records
    assert record.value == b"{not json" and record.key == b"R-1"
    assert ("ce_id", b"x") in record.headers


async def test_a_record_with_a_header_that_is_not_utf8_reaches_the_processor_as_it_was():
    record = ConsumerRecord(
        topic="referral.commands.v1",
        partition=0,
        offset=3,
        timestamp=0,
        timestamp_type=0,
        key=b"R-1",
        value=b"{}",
        checksum=None,
        serialized_key_size=3,
        serialized_value_size=2,
        headers=[("ce_source", b"urn:\xc3\x28"), ("ce_id", b"x")],
    )
    message = await keep_raw_headers((record,), AioKafkaBatchParser(KafkaMessage, None).parse_batch)
    assert message.headers["ce_id"] == "x"
    [raw] = message.raw_message
    assert Record.of(raw).headers == (("ce_source", b"urn:\xc3\x28"), ("ce_id", b"x"))
