"""SLA clocks (DESIGN §4): when a referral becomes overdue, when again, and what is announced."""

import json
from datetime import UTC, datetime, timedelta

from hubnet_referrals.domain.directory import Partner, Service
from hubnet_referrals.domain.referral import Referral
from hubnet_referrals.domain.sla import SlaClock
from hubnet_referrals.handlers.overdue import announce_overdue
from tests.unit.common.fakes.referrals import FakeReferralsUnitOfWork

FRIDAY = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)  # 10:00 in Stockholm
END_OF_TUESDAY = datetime(2026, 3, 10, 23, 0, tzinfo=UTC)  # midnight after Tuesday 10 March, local
END_OF_THURSDAY = datetime(2026, 3, 12, 23, 0, tzinfo=UTC)
END_OF_MONDAY = datetime(2026, 3, 16, 23, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)


def test_two_working_days_from_a_friday_end_with_the_tuesday():
    clock = SlaClock.start("R-1", "acknowledge", 2, FRIDAY)
    assert (clock.referral_id, clock.kind, clock.period_days, clock.due_at, clock.breaches) == (
        "R-1",
        "acknowledge",
        2,
        END_OF_TUESDAY,
        0,
    )


def test_a_clock_is_due_from_its_deadline_on_not_a_moment_before():
    clock = SlaClock.start("R-1", "acknowledge", 2, FRIDAY)
    assert not clock.is_due(END_OF_TUESDAY - TICK)
    assert clock.is_due(END_OF_TUESDAY)
    assert clock.is_due(END_OF_TUESDAY + TICK)


def test_each_breach_is_counted_and_the_next_falls_one_period_after_the_missed_deadline():
    clock = SlaClock.start("R-1", "answer", 2, FRIDAY)
    assert clock.breach() == (1, END_OF_TUESDAY)
    assert clock.due_at == END_OF_THURSDAY  # Wednesday and Thursday
    assert clock.breach() == (2, END_OF_THURSDAY)
    assert clock.due_at == END_OF_MONDAY  # Friday, then the weekend is skipped
    assert clock.breaches == 2


def requested() -> Referral:
    return Referral.request(
        referral_id="R-1",
        sender=Partner("bostadsbolaget", "Bostadsbolaget"),
        sender_id="bostadsbolaget",
        service=Service("brg-business-coaching", "brg", "Företagsrådgivning", ("hjallbo",), available_places=3),
        service_id="brg-business-coaching",
        hub_id="hjallbo",
        participant_ref="ab" * 32,
        purpose="own-business",
        need="",
        consent_id="C-1",
        sealed_contact=None,
        at=FRIDAY,
    )


async def announced(uow: FakeReferralsUnitOfWork, now: datetime) -> tuple[int, list[dict]]:
    async with uow:
        count = await announce_overdue(uow, now)
    return count, [json.loads(out.body) | {"_type": out.envelope.type} for out in uow.committed]


async def test_an_overdue_referral_is_announced_once_per_breach_with_the_missed_deadline():
    uow = FakeReferralsUnitOfWork()
    await uow.referrals.add(requested())
    await uow.sla.start(SlaClock.start("R-1", "acknowledge", 2, FRIDAY))

    assert await announced(uow, END_OF_TUESDAY - TICK) == (0, [])
    count, [fact] = await announced(uow, END_OF_TUESDAY)
    assert count == 1 and fact["_type"].endswith("referral.overdue.v1")
    assert (fact["referral_id"], fact["kind"], fact["breach"], fact["status"]) == ("R-1", "acknowledge", 1, "requested")
    assert (fact["sender_partner_id"], fact["receiver_partner_id"], fact["service_id"], fact["hub_id"]) == (
        "bostadsbolaget",
        "brg",
        "brg-business-coaching",
        "hjallbo",
    )
    assert datetime.fromisoformat(fact["due_at"]) == END_OF_TUESDAY

    uow.committed.clear()
    assert await announced(uow, END_OF_TUESDAY + timedelta(hours=1)) == (0, [])  # not twice
    count, [again] = await announced(uow, END_OF_THURSDAY)
    assert (count, again["breach"], datetime.fromisoformat(again["due_at"])) == (1, 2, END_OF_THURSDAY)
