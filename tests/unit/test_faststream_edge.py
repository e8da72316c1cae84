"""The FastStream edge: every subscriber follows DESIGN §5's offset rules and hands the processor
the record untouched, even when the body is not JSON (FastStream's in-memory TestKafkaBroker)."""

from faststream import AckPolicy
from faststream.kafka import TestKafkaBroker
from hubnet_common.processing import Record
from hubnet_common.runtime import build_app
from hubnet_common.settings import Settings
from hubnet_events import bootstrap as events
from hubnet_notifications import bootstrap as notifications
from hubnet_referrals import bootstrap as referrals


class RecordingProcessor:
    def __init__(self) -> None:
        self.records: list[Record] = []

    async def process(self, record: Record) -> str:
        self.records.append(record)
        return "processed"


def test_every_subscriber_commits_after_processing_and_starts_at_the_earliest_record():
    for spec in (referrals.spec(), events.spec(), notifications.spec()):
        app, runtime = build_app(spec, Settings(group_prefix="unit", topic_prefix=""))
        [broker] = app.brokers
        assert len(broker.subscribers) == len(spec.routes)
        for subscriber in broker.subscribers:
            consumer_settings = subscriber._connection_args  # what FastStream hands to AIOKafkaConsumer
            assert subscriber.ack_policy is AckPolicy.ACK, spec.name
            assert consumer_settings["enable_auto_commit"] is False
            assert consumer_settings["auto_offset_reset"] == "earliest"
            assert subscriber.group_id.startswith(f"unit-{spec.name}-")


async def test_a_body_that_is_not_json_reaches_the_processor_as_it_was():
    app, runtime = build_app(referrals.spec(), Settings(group_prefix="unit", topic_prefix=""))
    [broker] = app.brokers
    recording = runtime.processors["referral.commands.v1"] = RecordingProcessor()
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish(b"{not json", "referral.commands.v1", key=b"R-1", headers={"ce_id": "x"})
    [record] = recording.records
    assert record.value == b"{not json" and record.key == b"R-1"
    assert ("ce_id", b"x") in record.headers
