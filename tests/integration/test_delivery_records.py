"""Deliveries against the real PostgreSQL: a mail accepted while the database goes away is recorded
when it is back and never sent again, and a leased batch is not taken by a second worker."""

import uuid

import asyncpg
import pytest
from hubnet_common.db import create_pool, migrate
from hubnet_common.envelope import Envelope, service_source
from hubnet_notifications import bootstrap
from hubnet_notifications.adapters.seed import read_staff
from hubnet_notifications.adapters.uow import NotificationsUnitOfWork
from hubnet_notifications.domain.notification import Notification
from hubnet_notifications.domain.wording import Wording
from hubnet_notifications.handlers.deliver import Channels, Deliveries
from hubnet_notifications.handlers.load_staff import load_staff

pytestmark = pytest.mark.integration


class Database:
    """Hands out units of work on a real pool, unless the test has taken the database away."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool, self.away = pool, False

    def __call__(self) -> NotificationsUnitOfWork:
        if self.away:
            raise ConnectionRefusedError(111, "Connect call failed: the database is away")
        return NotificationsUnitOfWork(self.pool)


class Mailer:
    """An SMTP server that accepts every mail; `while_sending` runs as it accepts one."""

    def __init__(self, while_sending=lambda: None) -> None:
        self.sent: list[str] = []
        self.while_sending = while_sending

    async def send(self, address, wording, *, message_id) -> None:
        self.sent.append(message_id)
        self.while_sending()


@pytest.fixture
async def database(new_database):
    dsn = await new_database("deliveries")
    pool = await create_pool(dsn)
    async with pool.acquire() as conn:
        await migrate(conn, *bootstrap.spec().migrations)
    db = Database(pool)
    async with db() as uow:
        await load_staff(uow, read_staff())
    yield db
    await pool.close()


async def a_pending_mail(db: Database) -> str:
    async with db() as uow:
        member = next(m for m in await uow.staff.all() if m.id == "brg-sara")
        source = Envelope.new(type="se.hubnet.referral.requested.v1", source=service_source("referrals"),
                              subject=f"R-{uuid.uuid4().hex[:8]}")
        notification = Notification.for_staff(member, "email", Wording("Ny remiss", "En ny remiss till er."),
                                               link="https://hubnet.test/r", source=source)
        await uow.notifications.add_all([notification])
        await uow.commit()
    return notification.id


async def state(db: Database, notification_id: str) -> tuple[str, int, int]:
    async with db.pool.acquire() as conn:
        status, attempts = await conn.fetchrow("SELECT status, attempts FROM notifications WHERE id = $1::uuid",
                                               notification_id)
        facts = await conn.fetchval("SELECT count(*) FROM outbox WHERE key = $1", notification_id)
    return status, attempts, facts


async def sent_as_the_database_goes_away(database: Database) -> tuple[str, Mailer, Deliveries]:
    """A pending mail, and a worker whose mail server accepted it just as the database went away."""
    notification_id = await a_pending_mail(database)
    mailer = Mailer(while_sending=lambda: setattr(database, "away", True))
    deliveries = Deliveries(Channels(mailer, webhooks=None))
    with pytest.raises(ConnectionRefusedError):
        await deliveries.deliver_due(database)
    return notification_id, mailer, deliveries


async def test_a_mail_accepted_while_the_database_is_away_is_recorded_later_and_sent_once(database):
    notification_id, mailer, deliveries = await sent_as_the_database_goes_away(database)
    with pytest.raises(ConnectionRefusedError):  # still away: tried again, nothing lost meanwhile
        await deliveries.deliver_due(database)
    database.away, mailer.while_sending = False, lambda: None
    await deliveries.deliver_due(database)
    await deliveries.deliver_due(database)

    assert mailer.sent == [notification_id]
    assert await state(database, notification_id) == ("delivered", 1, 1)


async def test_a_batch_in_hand_is_not_taken_by_another_worker(database):
    notification_id, mailer, first = await sent_as_the_database_goes_away(database)
    database.away, mailer.while_sending = False, lambda: None

    other_worker = Deliveries(Channels(mailer, webhooks=None))
    assert await other_worker.deliver_due(database) == 0
    await first.deliver_due(database)

    assert mailer.sent == [notification_id]
    assert (await state(database, notification_id))[0] == "delivered"
