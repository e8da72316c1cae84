"""Deliveries against the real PostgreSQL and the project's real SMTP sink: a mail accepted as its
database goes away (its connections cut, new ones refused, as a restart looks to the service,
without stopping the server other tests use) is recorded when the database is back and never sent
again; a leased batch is not taken by a second worker; and a service killed (-9) while mails are in
flight sends every one exactly once after it starts again."""

import asyncio
import importlib.util
import signal
import threading
import uuid
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import asyncpg
import pytest
from aiosmtpd.controller import Controller

from hubnet_common.ops.local.services import LocalServices
from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.identity import service_source
from hubnet_common.sdk.messages.referral_events import ReferralRequested
from hubnet_common.service.db import create_pool, migrate
from hubnet_notifications import bootstrap
from hubnet_notifications.adapters.accepted import PgAcceptedOutcomes, PgHandovers
from hubnet_notifications.adapters.mailer import SmtpMailer
from hubnet_notifications.adapters.seed import read_staff
from hubnet_notifications.adapters.uow import NotificationsUnitOfWork
from hubnet_notifications.domain.notification import Notification
from hubnet_notifications.domain.wording import Wording
from hubnet_notifications.handlers.deliver import Channels, Deliveries
from hubnet_notifications.handlers.load_staff import load_staff
from hubnet_notifications.settings import NotificationSettings
from tests.conftest import ROOT, free_port, fresh_group_prefix
from tests.integration.conftest import eventually, publish_facts, rows, skip_history, until

pytestmark = pytest.mark.integration

_spec = importlib.util.spec_from_file_location("mailsink", ROOT / "deploy/local/mailsink.py")
mailsink = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mailsink)


class Sink(mailsink.MailDirHandler):
    """The local sink, told of each mail it stored: `on_accept` runs before it answers 250."""

    def __init__(self, mail_dir, on_accept=None) -> None:
        super().__init__(mail_dir)
        self.on_accept = on_accept

    async def handle_DATA(self, server, session, envelope) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        if self.on_accept:
            await self.on_accept()
        return answer

    def message_ids(self) -> list[str]:
        ids = []
        for mail in sorted(self.mail_dir.glob("*.eml")):
            ids += [
                line.split(":", 1)[1].strip()
                for line in mail.read_text().splitlines()
                if line.lower().startswith("message-id:")
            ]
        return ids


class Database:
    """One real database, which the test can take away and give back."""

    def __init__(self, server_dsn: str, name: str) -> None:
        self.server_dsn, self.name = server_dsn, name
        self.dsn = server_dsn.rpartition("/")[0] + "/" + name
        self.pool: asyncpg.Pool

    def __call__(self) -> NotificationsUnitOfWork:
        return NotificationsUnitOfWork(self.pool)

    async def go_away(self) -> None:
        """Every connection to it cut, and new ones refused, as in an outage."""
        conn = await asyncpg.connect(self.server_dsn)
        try:
            await conn.execute(f'ALTER DATABASE "{self.name}" WITH ALLOW_CONNECTIONS false')
            await conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", self.name)
        finally:
            await conn.close()

    async def come_back(self) -> None:
        conn = await asyncpg.connect(self.server_dsn)
        try:
            await conn.execute(f'ALTER DATABASE "{self.name}" WITH ALLOW_CONNECTIONS true')
        finally:
            await conn.close()


@pytest.fixture
async def database(new_database, pg_server_dsn):
    dsn = await new_database("deliveries")
    db = Database(pg_server_dsn, dsn.rpartition("/")[2])
    db.pool = await create_pool(dsn)
    async with db.pool.acquire() as conn:
        await migrate(conn, *bootstrap.spec().migrations)
    async with db() as uow:
        await load_staff(uow, read_staff())
    yield db
    await db.come_back()
    await db.pool.close()


@asynccontextmanager
async def sink(tmp_path, on_accept=None):
    handler = Sink(tmp_path, on_accept)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield (
            handler,
            SmtpMailer(
                "127.0.0.1", controller.port, sender="hubnet <no-reply@hubnet.test>", links_under="https://hubnet.test"
            ),
        )
    finally:
        controller.stop()


def requested() -> ReferralRequested:
    return ReferralRequested(
        referral_id=f"R-dr-{uuid.uuid4().hex[:10]}",
        version=1,
        status="requested",
        sender_partner_id="bostadsbolaget",
        receiver_partner_id="brg",
        service_id="brg-business-coaching",
        hub_id="hjallbo",
        actor_partner_id="bostadsbolaget",
        at=datetime.now(UTC),
        participant_ref="ab" * 32,
        purpose="own-business",
        consent_id="C-dr",
    )


async def publish(kafka_bootstrap, *facts) -> None:
    envelopes = [Envelope.new(type=f.ce_type, source=service_source("referrals"), subject=f.subject()) for f in facts]
    await publish_facts(kafka_bootstrap, list(zip(facts, envelopes, strict=True)))


def away_at_the_first_mail(db: Database):
    """A sink's `on_accept` that takes the database away as the first mail is accepted."""
    cut = asyncio.Event()

    async def cut_once() -> None:
        if not cut.is_set():
            cut.set()
            await db.go_away()

    return cut_once


def worker(mailer, db: Database) -> Deliveries:
    return Deliveries(
        Channels(mailer, webhooks=None, open_secret=str),
        PgAcceptedOutcomes(lambda: asyncpg.connect(db.dsn)),
        PgHandovers(lambda: asyncpg.connect(db.dsn)),
    )


async def a_pending_mail(db: Database) -> str:
    async with db() as uow:
        member = next(m for m in await uow.staff.all() if m.id == "brg-sara")
        source = Envelope.new(
            type="se.hubnet.referral.requested.v1",
            source=service_source("referrals"),
            subject=f"R-{uuid.uuid4().hex[:8]}",
        )
        notification = Notification.for_staff(
            member, "email", Wording("Ny remiss", "En ny remiss till er."), link="https://hubnet.test/r", source=source
        )
        await uow.notifications.add_all([notification])
        await uow.commit()
    return notification.id


async def state(db: Database, notification_id: str) -> tuple[str, int, int]:
    async with db.pool.acquire() as conn:
        status, attempts = await conn.fetchrow(
            "SELECT status, attempts FROM notifications WHERE id = $1::uuid", notification_id
        )
        facts = await conn.fetchval("SELECT count(*) FROM outbox WHERE key = $1", notification_id)
    return status, attempts, facts


async def test_a_mail_accepted_as_the_database_goes_away_is_recorded_later_and_sent_once(database, tmp_path):
    notification_id = await a_pending_mail(database)
    async with sink(tmp_path, away_at_the_first_mail(database)) as (server, mailer):
        deliveries = worker(mailer, database)
        with pytest.raises((OSError, asyncpg.PostgresError, asyncpg.InterfaceError)):
            await deliveries.deliver_due(database)
        with pytest.raises((OSError, asyncpg.PostgresError, asyncpg.InterfaceError)):  # still away: kept
            await deliveries.deliver_due(database)
        await database.come_back()
        await deliveries.deliver_due(database)
        await deliveries.deliver_due(database)

    assert server.message_ids() == [f"<{notification_id}@hubnet>"]
    assert await state(database, notification_id) == ("delivered", 1, 1)


async def test_a_batch_in_hand_is_not_taken_by_another_worker(database, tmp_path):
    notification_id = await a_pending_mail(database)
    async with sink(tmp_path, away_at_the_first_mail(database)) as (server, mailer):
        first = worker(mailer, database)
        with pytest.raises((OSError, asyncpg.PostgresError, asyncpg.InterfaceError)):
            await first.deliver_due(database)
        await database.come_back()
        assert await worker(mailer, database).deliver_due(database) == 0
        await first.deliver_due(database)

    assert server.message_ids() == [f"<{notification_id}@hubnet>"]
    assert (await state(database, notification_id))[0] == "delivered"


async def test_every_mail_of_a_batch_is_recorded_with_its_fact(database, tmp_path):
    ids = [await a_pending_mail(database) for _ in range(30)]
    async with sink(tmp_path) as (server, mailer):
        assert await worker(mailer, database).deliver_due(database) == 30
    assert sorted(server.message_ids()) == sorted(f"<{i}@hubnet>" for i in ids)
    assert {await state(database, i) for i in ids} == {("delivered", 1, 1)}


class HoldingSink(Sink):
    """The sink, which after `accept` mails holds every further one at RCPT, before any of its
    data is sent, until `release`: a service killed then has mails in flight that no server took."""

    def __init__(self, mail_dir, accept: int) -> None:
        super().__init__(mail_dir)
        self.accept, self.accepted, self.held, self.passed = accept, 0, 0, 0
        self.released = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if self.accepted + self.passed >= self.accept and not self.released.is_set():
            self.held += 1
            while not self.released.is_set():
                await asyncio.sleep(0.05)
        else:
            self.passed += 1
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)

    async def handle_DATA(self, server, session, envelope) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        self.accepted += 1
        self.passed = max(0, self.passed - 1)
        return answer


class AnswerHoldingSink(Sink):
    """The sink, which after `accept` mails keeps each further one it reads (the server has it)
    but answers only after `release`: a service killed then never hears that the server took them."""

    def __init__(self, mail_dir, accept: int) -> None:
        super().__init__(mail_dir)
        self.accept, self.taken, self.holding = accept, 0, 0
        self.released = threading.Event()

    async def handle_DATA(self, server, session, envelope) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        self.taken += 1
        if self.taken > self.accept:
            self.holding += 1
            while not self.released.is_set():
                await asyncio.sleep(0.05)
        return answer


async def count(dsn: str, where: str) -> int:
    [row] = await rows(dsn, f"SELECT count(*) AS n FROM notifications WHERE channel = 'email' AND {where}")
    return row["n"]


async def killed_mid_delivery(database, kafka_bootstrap, tmp_path, handler, ready_to_kill) -> list[str]:
    """Forty referrals (a mail each to Sara and Johan) through the notifications service as a
    process of its own, which is killed (-9) once `ready_to_kill()` and started again; the
    Message-IDs the sink took, once every mail is recorded delivered."""
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings = NotificationSettings(
        pg_dsn=database.dsn,
        kafka_bootstrap=kafka_bootstrap,
        group_prefix=fresh_group_prefix("kill"),
        smtp_port=controller.port,
    )
    await skip_history(kafka_bootstrap, settings.group_prefix, [bootstrap.spec(settings)])
    local = LocalServices(
        log_dir=tmp_path / "logs",
        databases={"notifications": database.name},
        ports={"notifications": free_port()},
        extra_env={
            "HUBNET_SMTP_PORT": str(controller.port),
            "HUBNET_GROUP_PREFIX": settings.group_prefix,
            "HUBNET_DELIVERY_LEASE_SECONDS": "3",
        },
    )
    try:
        await asyncio.to_thread(local.start_all)
        await publish(kafka_bootstrap, *(requested() for _ in range(40)))
        await eventually(ready_to_kill, 60, what="the moment to kill")
        process = local.processes["notifications"]
        process.kill()
        assert await asyncio.to_thread(process.wait) == -signal.SIGKILL
        handler.released.set()
        await asyncio.to_thread(local.start_all)
        await until(
            database.dsn,
            "SELECT 1 FROM notifications WHERE channel = 'email'"
            " HAVING count(*) = 80 AND count(*) FILTER (WHERE status = 'delivered') = 80",
            60,
        )
    finally:
        handler.released.set()
        await asyncio.to_thread(local.stop_all)
        controller.stop()
    return handler.message_ids()


async def test_a_service_killed_with_mails_in_flight_sends_each_once(database, kafka_bootstrap, tmp_path):
    handler = HoldingSink(tmp_path, accept=20)

    async def twenty_taken_and_recorded_the_rest_not_sent() -> bool:
        return handler.accepted == 20 and handler.held > 0 and await count(database.dsn, "status = 'delivered'") == 20

    ids = await killed_mid_delivery(
        database, kafka_bootstrap, tmp_path, handler, twenty_taken_and_recorded_the_rest_not_sent
    )
    assert len(ids) == len(set(ids)) == 80


async def test_a_service_killed_before_the_servers_answer_sends_no_mail_twice(database, kafka_bootstrap, tmp_path):
    """The server has the mails but the service never hears so: they were handed over with their
    last byte, so after the lease they count as delivered and are not sent again."""
    handler = AnswerHoldingSink(tmp_path, accept=20)

    async def mails_held_and_handed_over() -> bool:
        return (
            handler.holding > 0
            and await count(database.dsn, "status = 'pending' AND handed_at IS NOT NULL") == handler.holding
        )

    ids = await killed_mid_delivery(database, kafka_bootstrap, tmp_path, handler, mails_held_and_handed_over)
    assert len(ids) == len(set(ids)) == 80
