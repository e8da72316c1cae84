"""The processing rules every consumer shares: retries, dead letters, facts never refused."""

from dataclasses import replace

import asyncpg

from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.messages.directory import HubUpserted
from hubnet_common.service.processing import Processor, Record, Route
from hubnet_common.testing.deadletter import CollectedDeadLetters
from hubnet_common.testing.uow import FakeUnitOfWork
from tests.unit.common.fakes.network import network_verifier, signed


def fact_record(body: bytes, type_=HubUpserted.ce_type) -> Record:
    envelope = Envelope.new(type=type_, source="urn:hubnet:service:referrals", subject="hub:hjallbo")
    return signed(
        Record("directory.v1", 0, 7, b"hub:hjallbo", body, tuple(envelope.to_headers())), by="service-referrals"
    )


def processor(handler, dead_letters, uow=None):
    uow = uow or FakeUnitOfWork("test")
    route = Route("directory.v1", {HubUpserted: handler})
    return Processor(
        route=route,
        consumer_group="g",
        uow_factory=lambda: uow,
        dead_letters=dead_letters,
        verifier=network_verifier(),
        max_backoff=0.01,
    )


GOOD = b'{"hub_id": "hjallbo", "name": "Hj\\u00e4llbo"}'


async def test_a_transient_database_failure_is_retried_until_it_succeeds():
    calls = []

    async def flaky(fact, envelope, uow):
        calls.append(fact)
        if len(calls) < 3:
            raise asyncpg.CannotConnectNowError("the database system is starting up")

    dead = CollectedDeadLetters()
    assert await processor(flaky, dead).process(fact_record(GOOD)) == "processed"
    assert len(calls) == 3 and dead.sent == []


async def test_a_handler_that_keeps_failing_is_dead_lettered_not_dropped():
    async def broken(fact, envelope, uow):
        raise KeyError("bug")

    dead = CollectedDeadLetters()
    assert await processor(broken, dead).process(fact_record(GOOD)) == "dead-lettered"
    [(record, code, reason)] = dead.sent
    assert code == "handler-error" and "bug" in reason and record.offset == 7


async def test_an_unreadable_fact_is_dead_lettered_with_the_schema_problem():
    async def handler(fact, envelope, uow):
        raise AssertionError("must not be called")

    dead = CollectedDeadLetters()
    assert await processor(handler, dead).process(fact_record(b'{"hub_id": 3}')) == "dead-lettered"
    assert dead.sent[0][1] == "invalid-body" and "name" in dead.sent[0][2]


async def test_a_known_fact_the_consumer_does_not_handle_is_skipped():
    async def handler(fact, envelope, uow):
        raise AssertionError("must not be called")

    dead = CollectedDeadLetters()
    record = fact_record(b"{}", type_="se.hubnet.partner.upserted.v1")
    assert await processor(handler, dead).process(record) == "ignored"
    assert dead.sent == []


def hub_record(hub_id: str, offset: int) -> Record:
    body = HubUpserted(hub_id=hub_id, name=hub_id.title()).model_dump_json().encode()
    envelope = Envelope.new(type=HubUpserted.ce_type, source="urn:hubnet:service:referrals", subject=f"hub:{hub_id}")
    return signed(
        Record("directory.v1", 0, offset, f"hub:{hub_id}".encode(), body, tuple(envelope.to_headers())),
        by="service-referrals",
    )


async def test_in_a_batch_a_failing_handler_dead_letters_only_its_record():
    async def store(fact, envelope, uow):
        uow.emit(HubUpserted(hub_id=fact.hub_id, name="copy"), caused_by=envelope)
        if fact.hub_id == "broken":
            raise KeyError("bug")

    dead, uow = CollectedDeadLetters(), FakeUnitOfWork("test")
    records = [hub_record("bergsjon", 1), hub_record("broken", 2), hub_record("hjallbo", 3)]
    assert await processor(store, dead, uow).process_batch(records) == ["processed", "dead-lettered", "processed"]
    assert [(record.offset, code) for record, code, _ in dead.sent] == [(2, "handler-error")]
    assert [o.envelope.subject for o in uow.committed] == ["hub:bergsjon", "hub:hjallbo"]


async def test_a_record_delivered_twice_in_one_batch_is_applied_once():
    calls = []

    async def store(fact, envelope, uow):
        calls.append(fact.hub_id)

    once = hub_record("bergsjon", 1)
    outcomes = await processor(store, CollectedDeadLetters()).process_batch([once, replace(once, offset=2)])
    assert outcomes == ["processed", "duplicate"] and calls == ["bergsjon"]
