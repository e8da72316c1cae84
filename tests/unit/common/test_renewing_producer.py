"""After a broker restart an idempotent producer can be left with sequence numbers out of step
(OutOfOrderSequenceNumber on every send): the services' producer replaces itself and goes on."""

import asyncio

import pytest
from aiokafka.errors import OutOfOrderSequenceNumber, RequestTimedOutError

from hubnet_common.service.kafka import RenewingProducer


class Producer:
    """An AIOKafkaProducer stand-in whose sends fail with `failure` (None: they succeed)."""

    def __init__(self, failure: Exception | None) -> None:
        self.failure, self.sent, self.running = failure, [], False

    async def start(self) -> None:
        self.running = True

    async def stop(self) -> None:
        self.running = False

    async def send(self, topic, **record) -> asyncio.Future:
        delivery = asyncio.get_running_loop().create_future()
        if self.failure:
            delivery.set_exception(self.failure)
        else:
            self.sent.append((topic, record["value"]))
            delivery.set_result("metadata")
        return delivery


def made(*failures):
    producers = [Producer(f) for f in failures]
    return producers, iter(producers).__next__


async def test_a_broken_producer_is_replaced_and_the_next_send_goes_through():
    (broken, fresh), make = made(OutOfOrderSequenceNumber(), None)
    producer = RenewingProducer(make)
    await producer.start()
    sends = [await producer.send("t", value=b"1"), await producer.send("t", value=b"2")]
    for failed in await asyncio.gather(*sends, return_exceptions=True):
        assert isinstance(failed, OutOfOrderSequenceNumber)  # the caller sends again
    assert await producer.send_and_wait("t", value=b"1") == "metadata"
    assert not broken.running and fresh.running and fresh.sent == [("t", b"1")]


async def test_a_passing_broker_error_keeps_the_producer():
    (slow, unused), make = made(RequestTimedOutError(), None)
    producer = RenewingProducer(make)
    await producer.start()
    with pytest.raises(RequestTimedOutError):
        await producer.send_and_wait("t", value=b"1")
    assert slow.running and not unused.running
