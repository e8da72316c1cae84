"""What the services log at DEBUG: library lines come through, records' bodies do not."""

import json
import logging

import pytest

from hubnet_common.service.logging import configure_logging


@pytest.fixture
def root_logger():
    root = logging.getLogger()
    handlers, level = root.handlers, root.level
    yield
    root.handlers, root.level = handlers, level


def test_the_kafka_producer_does_not_log_what_it_sends(root_logger, capsys):
    configure_logging("referrals", "DEBUG")
    producer = logging.getLogger("aiokafka.producer.producer")
    producer.debug("Sending (key=%s value=%s) to %s", b"R-1", b'{"reason": "Ylva 19811218-9876"}', "tp")
    producer.debug("Sending batch to %s", "tp")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["event"] for line in lines] == ["Sending batch to tp"]
    assert lines[0]["level"] == "debug" and lines[0]["service"] == "referrals"
