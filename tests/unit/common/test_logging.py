"""What the services log: one JSON line per call with what the context holds, nothing below the
level, library lines through the same renderer, and records' bodies never."""

import json
import logging

import pytest
import structlog

from hubnet_common.service.logging import configure_logging, get_logger
from hubnet_common.service.processing import Record
from hubnet_common.testing.deadletter import CollectedDeadLetters
from tests.unit.common.test_processing import hub_record, processor


@pytest.fixture
def root_logger():
    root = logging.getLogger()
    handlers, level, config = root.handlers, root.level, structlog.get_config()
    yield
    root.handlers, root.level = handlers, level
    structlog.configure(**config)
    structlog.contextvars.clear_contextvars()


def lines(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_the_kafka_producer_does_not_log_what_it_sends(root_logger, capsys):
    configure_logging("referrals", "DEBUG")
    producer = logging.getLogger("aiokafka.producer.producer")
    producer.debug("Sending (key=%s value=%s) to %s", b"R-1", b'{"reason": "Ylva 19811218-9876"}', "tp")
    producer.debug("Sending batch to %s", "tp")
    logged = lines(capsys)
    assert [line["event"] for line in logged] == ["Sending batch to tp"]
    assert logged[0]["level"] == "debug" and logged[0]["service"] == "referrals"


def test_a_line_of_ours_carries_the_context_its_level_and_its_logger(root_logger, capsys):
    configure_logging("notifications", "INFO")
    log = get_logger("hubnet_common.service.processing")
    with structlog.contextvars.bound_contextvars(ce_id="c-1", aggregate_id="R-1"):
        log.info("processed", outcome="stored")
    (line,) = lines(capsys)
    assert line["event"] == "processed" and line["outcome"] == "stored"
    assert line["ce_id"] == "c-1" and line["aggregate_id"] == "R-1" and line["service"] == "notifications"
    assert line["level"] == "info" and line["logger"] == "hubnet_common.service.processing"
    assert line["timestamp"].endswith("Z")


def test_nothing_below_the_level_is_written(root_logger, capsys):
    configure_logging("events", "WARNING")
    log = get_logger("hubnet_events.handlers.referred")
    log.info("processed")
    logging.getLogger("aiokafka.conn").info("Authenticated")
    log.warning("transient failure, retrying")
    assert [line["event"] for line in lines(capsys)] == ["transient failure, retrying"]


def test_an_exception_is_written_with_its_traceback_on_the_same_line(root_logger, capsys):
    configure_logging("referrals", "INFO")
    try:
        raise ValueError("the database went away")
    except ValueError:
        get_logger("hubnet_common.service.processing").exception("processing failed", attempt=3)
    (line,) = lines(capsys)
    assert line["level"] == "error" and line["attempt"] == 3
    assert "ValueError: the database went away" in line["exception"]


async def test_each_processed_line_names_the_service_and_its_own_record_only(root_logger, capsys):
    configure_logging("events", "INFO")
    dead = CollectedDeadLetters()

    async def store(fact, envelope, uow):
        pass

    first, second = hub_record("bergsjon", 1), hub_record("hjallbo", 2)
    unreadable = Record("directory.v1", 0, 3, b"hub:x", b"{}", ())
    await processor(store, dead).process_batch([first, second, unreadable])
    get_logger("hubnet_events.bootstrap").info("batch done")
    logged = lines(capsys)
    processed = [line for line in logged if line["event"] == "processed"]
    assert [line["aggregate_id"] for line in processed] == ["hub:bergsjon", "hub:hjallbo"]
    assert all(line["service"] == "events" for line in logged)
    (refused,) = [line for line in logged if line["event"] == "unprocessable record"]
    assert "aggregate_id" not in refused and "ce_id" not in refused
    assert "aggregate_id" not in logged[-1]
