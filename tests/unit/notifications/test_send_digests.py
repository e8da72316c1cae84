"""Daily digests go out once per staff member and day, at the local send time, gathering every
waiting e-mail (handlers/send_digests.py on in-memory repositories)."""

from datetime import UTC, date, datetime, time

from hubnet_common.testing.uow import FakeUnitOfWork
from hubnet_notifications.domain.notification import Notification
from hubnet_notifications.domain.staff import StaffMember
from hubnet_notifications.handlers.send_digests import send_due_digests

SEND_AT = time(7, 0)
BEFORE = datetime(2026, 3, 2, 5, 59, tzinfo=UTC)  # 06:59 in Stockholm
AT = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # 07:00
DAY = date(2026, 3, 2)


def reader(id: str, language: str = "sv") -> StaffMember:
    return StaffMember(
        id=id,
        name=id,
        email=f"{id}@brg.test",
        partner_id="brg",
        hubs=(),
        roles=("case-worker",),
        language=language,
        delivery="digest",
    )


def waiting(id: str, subject: str, hour: int) -> tuple[Notification, datetime]:
    n = Notification(
        id=id,
        source_id=f"F-{id}",
        source_type="se.hubnet.referral.accepted.v1",
        recipient_id="",
        channel="email",
        subject=subject,
        body="",
        link=f"https://hubnet.test/referrals/{id}",
        mode="digest",
    )
    return n, datetime(2026, 3, 1, hour, 0, tzinfo=UTC)


class Store:
    """What the repositories keep across units of work."""

    def __init__(self, readers, waiting_by_member):
        self.readers, self.waiting = readers, waiting_by_member
        self.sent_days: dict[tuple[str, date], int] = {}
        self.attempts: list[tuple[str, str, int, date]] = []


class Staff:
    def __init__(self, store):
        self.store = store

    async def digest_readers(self):
        return list(self.store.readers)


class Notifications:
    def __init__(self, store):
        self.store = store

    async def digest_sent(self, staff_id, day):
        return (staff_id, day) in self.store.sent_days

    async def waiting_for_digest(self, staff_id):
        return list(self.store.waiting.get(staff_id, []))

    async def record_attempt(self, n, *, digest_day):
        self.store.attempts.append((n.id, n.status, n.attempts, digest_day))

    async def record_digest(self, staff_id, day, items):
        self.store.sent_days[(staff_id, day)] = items
        self.store.waiting.pop(staff_id, None)


class Uow(FakeUnitOfWork):
    def __init__(self, store, log):
        super().__init__("notifications")
        self.staff, self.notifications, self.log = Staff(store), Notifications(store), log

    async def commit(self):
        self.log += [o.envelope.type for o in self.pending]
        await super().commit()


class Mailer:
    def __init__(self):
        self.sent = []

    async def send(self, to, mail, *, message_id):
        self.sent.append((to, mail, message_id))


async def test_a_digest_waits_for_the_local_send_time_then_gathers_everything_once():
    store = Store(
        [reader("anna"), reader("bo", "en"), reader("cia")],
        {
            "anna": [waiting("N-2", "Remiss R-2 har accepterats", 12), waiting("N-1", "Ny remiss R-1", 9)],
            "bo": [waiting("N-3", "Referral R-3 has been accepted", 10)],
        },
    )
    announced, mailer = [], Mailer()

    def uow():
        return Uow(store, announced)

    assert await send_due_digests(uow, mailer, now=BEFORE, send_at=SEND_AT) == 0
    assert mailer.sent == []

    assert await send_due_digests(uow, mailer, now=AT, send_at=SEND_AT) == 2
    (to_anna, anna, anna_id), (to_bo, bo, bo_id) = mailer.sent
    assert (to_anna, anna_id, to_bo, bo_id) == (
        "anna@brg.test",
        "digest-anna-2026-03-02",
        "bo@brg.test",
        "digest-bo-2026-03-02",
    )
    assert anna.subject == "Sammanfattning för 2026-03-02: 2 händelser"
    assert anna.text.index("Ny remiss R-1") < anna.text.index("Remiss R-2 har accepterats")
    assert bo.subject == "Summary for 2026-03-02: 1 update"
    assert sorted(store.attempts) == [
        ("N-1", "delivered", 1, DAY),
        ("N-2", "delivered", 1, DAY),
        ("N-3", "delivered", 1, DAY),
    ]
    assert announced == ["se.hubnet.notification.delivered.v1"] * 3
    assert store.sent_days == {("anna", DAY): 2, ("bo", DAY): 1, ("cia", DAY): 0}  # cia: nothing, no mail

    store.waiting["anna"] = [waiting("N-4", "Remiss R-4 har avböjts", 6)]
    assert await send_due_digests(uow, mailer, now=AT.replace(hour=15), send_at=SEND_AT) == 0  # once a day
    assert len(mailer.sent) == 2
