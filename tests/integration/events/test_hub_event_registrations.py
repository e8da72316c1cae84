"""Registrations for hub events against the real broker and database: capacity under concurrency,
the waitlist in arrival order, promotion, attendance, capacity changes, cancellation, recurrence."""

import asyncio
import contextlib
import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from hubnet_common.sdk.messages import hubevent_commands as c
from hubnet_common.sdk.messages import hubevent_events as f
from hubnet_common.sdk.messages.referral_commands import CancelReferral, EraseParticipant
from hubnet_common.sdk.messages.vocabulary import Purpose, ReasonCode
from hubnet_events import bootstrap as events
from hubnet_events.settings import EventSettings
from hubnet_referrals import bootstrap as referrals
from hubnet_referrals.settings import ReferralSettings
from tests.conftest import fresh_group_prefix
from tests.integration.conftest import rows, running, until
from tests.integration.referral_steps import accepted, consent, person, ref_of, referral, sealed_number

pytestmark = pytest.mark.integration
# Nine days ahead: still to come while the module runs, so erasure and reminders treat it as upcoming.
STARTS = (datetime.now(UTC) + timedelta(days=9)).replace(hour=17, minute=0, second=0, microsecond=0)
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def next_change_to_winter_time(now: datetime) -> date:
    """The last Sunday of October, Stockholm's change to winter time, at least three weeks ahead."""
    year = now.year
    while True:
        sunday = date(year, 10, 31) - timedelta(days=(date(year, 10, 31).weekday() + 1) % 7)
        if datetime.combine(sunday, time(), STOCKHOLM) > now + timedelta(weeks=3):
            return sunday
        year += 1


def resident(n: int) -> str:
    return f"{n:064x}"


@pytest.fixture(scope="module")
async def events_service(new_database, kafka_bootstrap):
    referrals_dsn, dsn = await new_database("referrals"), await new_database("events")
    prefix = fresh_group_prefix("it")
    directory = ReferralSettings(pg_dsn=referrals_dsn, kafka_bootstrap=kafka_bootstrap, group_prefix=prefix)
    settings = EventSettings(pg_dsn=dsn, kafka_bootstrap=kafka_bootstrap, group_prefix=prefix)
    async with running(referrals.spec(directory), directory), running(events.spec(settings), settings):
        await until(dsn, "SELECT 1 FROM known_hubs WHERE id = 'bergsjon'")
        await until(dsn, "SELECT 1 FROM known_partners WHERE id = 'goteborgs-stad-arbvux'")
        yield dsn


async def schedule(client, capacity: int, **overrides) -> c.ScheduleHubEvent:
    command = c.ScheduleHubEvent(
        **{
            "hub_id": "bergsjon",
            "kind": "information-evening",
            "capacity": capacity,
            "title": "Informationskväll om vuxenutbildning",
            "starts_at": STARTS,
            "ends_at": STARTS + timedelta(hours=2),
            **overrides,
        }
    )
    accepted(await client.request(command))
    return command


async def test_200_simultaneous_registrations_for_50_places(events_service, partner, watcher):
    async with partner("goteborgs-stad-arbvux") as arbvux, contextlib.AsyncExitStack() as stack:
        evening = await schedule(arbvux, capacity=50)
        senders = [
            await stack.enter_async_context(partner(p))
            for p in ("bostadsbolaget", "familjebostader", "stadsmissionen", "poseidon")
        ]
        commands = [
            c.RegisterForHubEvent(hub_event_id=evening.hub_event_id, participant_ref=resident(i)) for i in range(200)
        ]
        replies = await asyncio.gather(*(senders[i % 4].request(cmd) for i, cmd in enumerate(commands)))
    assert all(r.ce_type.endswith("accepted.v1") for r in replies)
    stored = await rows(
        events_service,
        "SELECT id, status FROM registrations WHERE hub_event_id = $1 ORDER BY seq",
        evening.hub_event_id,
    )
    assert [r["status"] for r in stored] == ["registered"] * 50 + ["waitlisted"] * 150  # arrival order
    await watcher.wait_for(
        lambda s: (
            isinstance(s.body, f.RegistrationWaitlisted)
            and s.body.hub_event_id == evening.hub_event_id
            and s.body.waitlist_position == 150
        )
    )
    facts = [
        s.body
        for s in watcher.seen
        if getattr(s.body, "hub_event_id", None) == evening.hub_event_id
        and isinstance(s.body, (f.RegistrationConfirmed, f.RegistrationWaitlisted))
    ]
    assert [x.registration_id for x in facts] == [r["id"] for r in stored]  # facts in the same order
    assert [x.waitlist_position for x in facts[50:]] == list(range(1, 151))
    assert [x.registered for x in facts[:50]] == list(range(1, 51))


async def test_a_cancellation_promotes_the_first_on_the_waitlist(events_service, partner, watcher):
    async with partner("goteborgs-stad-arbvux") as arbvux:
        evening = await schedule(arbvux, capacity=2)
        for i in range(4):
            accepted(
                await arbvux.request(
                    c.RegisterForHubEvent(hub_event_id=evening.hub_event_id, participant_ref=resident(1000 + i))
                )
            )
        accepted(
            await arbvux.request(
                c.CancelRegistration(hub_event_id=evening.hub_event_id, participant_ref=resident(1000))
            )
        )
        again = await arbvux.request(
            c.CancelRegistration(hub_event_id=evening.hub_event_id, participant_ref=resident(1000))
        )
        twice = await arbvux.request(
            c.RegisterForHubEvent(hub_event_id=evening.hub_event_id, participant_ref=resident(1001))
        )
    assert again.code == "not-registered" and twice.code == "already-registered"
    moved = await watcher.wait_for(
        lambda s: isinstance(s.body, f.WaitlistPromoted) and s.body.hub_event_id == evening.hub_event_id
    )
    stored = await rows(
        events_service,
        "SELECT id, participant_ref, status FROM registrations WHERE hub_event_id = $1 ORDER BY seq",
        evening.hub_event_id,
    )
    assert [r["status"] for r in stored] == ["cancelled", "registered", "registered", "waitlisted"]
    assert moved.body.registration_id == stored[2]["id"]  # the first on the waitlist, not the last


async def test_capacity_changes_and_attendance(events_service, partner, watcher):
    async with partner("goteborgs-stad-arbvux") as arbvux, partner("brg") as brg:
        evening = await schedule(arbvux, capacity=3)
        for i in range(5):
            accepted(
                await arbvux.request(
                    c.RegisterForHubEvent(hub_event_id=evening.hub_event_id, participant_ref=resident(2000 + i))
                )
            )
        too_small = await arbvux.request(c.ChangeHubEventCapacity(hub_event_id=evening.hub_event_id, capacity=2))
        not_theirs = await brg.request(c.ChangeHubEventCapacity(hub_event_id=evening.hub_event_id, capacity=9))
        accepted(await arbvux.request(c.ChangeHubEventCapacity(hub_event_id=evening.hub_event_id, capacity=4)))
        accepted(
            await arbvux.request(
                c.RecordAttendance(
                    hub_event_id=evening.hub_event_id,
                    attended=[resident(2000), resident(2001), resident(2002)],
                    no_shows=[resident(2003)],
                    walk_ins=6,
                )
            )
        )
        waitlisted = await arbvux.request(
            c.RecordAttendance(hub_event_id=evening.hub_event_id, attended=[resident(2004)])
        )
    assert too_small.code == "capacity-below-registrations" and not_theirs.code == "not-permitted"
    assert waitlisted.code == "not-registered"
    moved = await watcher.wait_for(
        lambda s: isinstance(s.body, f.WaitlistPromoted) and s.body.hub_event_id == evening.hub_event_id
    )
    came = await watcher.wait_for(
        lambda s: isinstance(s.body, f.AttendanceRecorded) and s.body.hub_event_id == evening.hub_event_id
    )
    assert moved.body.registration_id
    assert (came.body.registered, came.body.attended, came.body.no_shows, came.body.walk_ins) == (4, 3, 1, 6)


async def test_a_cancelled_hub_event_takes_no_registrations(events_service, partner):
    async with partner("goteborgs-stad-arbvux") as arbvux:
        evening = await schedule(arbvux, capacity=10)
        accepted(
            await arbvux.request(
                c.RegisterForHubEvent(hub_event_id=evening.hub_event_id, participant_ref=resident(3000))
            )
        )
        accepted(await arbvux.request(c.CancelHubEvent(hub_event_id=evening.hub_event_id, reason="Sjukdom")))
        late = await arbvux.request(
            c.RegisterForHubEvent(hub_event_id=evening.hub_event_id, participant_ref=resident(3001))
        )
        unknown = await arbvux.request(
            c.RegisterForHubEvent(hub_event_id=f"E-{uuid.uuid4()}", participant_ref=resident(3002))
        )
    assert late.code == "occurrence-closed" and unknown.code == "hub-event-unknown"
    [row] = await rows(events_service, "SELECT status FROM registrations WHERE participant_ref = $1", resident(3000))
    assert row["status"] == "cancelled"


async def test_a_weekly_evening_keeps_its_local_time_across_the_change_to_winter_time(events_service, partner):
    change = next_change_to_winter_time(datetime.now(UTC))
    # Tuesday 18:00 in Stockholm, twelve days before the change (summer time)
    starts = datetime.combine(change - timedelta(days=12), time(18), STOCKHOLM).astimezone(UTC)
    async with partner("goteborgs-stad-arbvux") as arbvux:
        weekly = await schedule(
            arbvux, capacity=20, starts_at=starts, ends_at=starts + timedelta(hours=2), rrule="FREQ=WEEKLY;COUNT=4"
        )
        ambiguous = await arbvux.request(
            c.RegisterForHubEvent(hub_event_id=weekly.hub_event_id, participant_ref=resident(4000))
        )
        third = datetime.combine(change + timedelta(days=2), time(18), STOCKHOLM).astimezone(UTC)  # winter time
        accepted(
            await arbvux.request(
                c.RegisterForHubEvent(
                    hub_event_id=weekly.hub_event_id, occurrence_starts_at=third, participant_ref=resident(4000)
                )
            )
        )
        bad_rule = await arbvux.request(
            c.ScheduleHubEvent(
                hub_id="bergsjon",
                kind="pop-up",
                title="Varje timme",
                starts_at=starts,
                ends_at=starts + timedelta(hours=1),
                capacity=5,
                rrule="FREQ=HOURLY;COUNT=3",
            )
        )
    assert ambiguous.code == "occurrence-unknown" and bad_rule.code == "recurrence-invalid"
    stored = await rows(
        events_service,
        "SELECT starts_at FROM occurrences WHERE hub_event_id = $1 ORDER BY starts_at",
        weekly.hub_event_id,
    )
    assert [r["starts_at"].hour for r in stored] == [16, 16, 17, 17]  # UTC; 18:00 local every time


async def test_a_referral_to_a_hub_event_registers_and_its_cancellation_unregisters(events_service, partner, watcher):
    async with partner("goteborgs-stad-arbvux") as arbvux, partner("bostadsbolaget") as sender:
        evening = await schedule(arbvux, capacity=1, title="Studievägledning")
        accepted(
            await arbvux.request(
                c.RegisterForHubEvent(hub_event_id=evening.hub_event_id, participant_ref=resident(5000))
            )
        )
        given = consent(person(5), partners=("goteborgs-stad-arbvux",), purposes=(Purpose.STUDIES,))
        accepted(await sender.request(given))
        referred = referral(
            given.consent_id,
            participant_ref=ref_of(person(5)),
            service_id="arbvux-sfi-guidance",
            hub_id="bergsjon",
            purpose=Purpose.STUDIES,
            hub_event_id=evening.hub_event_id,
        )
        accepted(await sender.request(referred))
        waiting = await watcher.wait_for(
            lambda s: isinstance(s.body, f.RegistrationWaitlisted) and s.body.referral_id == referred.referral_id
        )
        accepted(
            await arbvux.request(
                c.CancelRegistration(hub_event_id=evening.hub_event_id, participant_ref=resident(5000))
            )
        )
        moved = await watcher.wait_for(
            lambda s: isinstance(s.body, f.WaitlistPromoted) and s.body.hub_event_id == evening.hub_event_id
        )
        accepted(
            await sender.request(
                CancelReferral(referral_id=referred.referral_id, reason_code=ReasonCode.NO_LONGER_INTERESTED)
            )
        )
        gone = await watcher.wait_for(
            lambda s: (
                isinstance(s.body, f.RegistrationCancelled) and s.body.registration_id == waiting.body.registration_id
            )
        )
    assert waiting.body.waitlist_position == 1 and moved.body.referral_id == referred.referral_id
    assert gone.body.was == "referral cancelled"
    [row] = await rows(events_service, "SELECT status FROM registrations WHERE referral_id = $1", referred.referral_id)
    assert row["status"] == "cancelled"


async def test_one_reminder_before_each_occurrence_whatever_the_restarts(
    new_database, kafka_bootstrap, partner, watcher, events_service
):
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=3)
    async with partner("goteborgs-stad-arbvux") as arbvux:
        evening = await schedule(
            arbvux, capacity=30, starts_at=soon, ends_at=soon + timedelta(hours=2), title="Infokväll snart"
        )
        accepted(
            await arbvux.request(
                c.RegisterForHubEvent(hub_event_id=evening.hub_event_id, participant_ref=resident(6000))
            )
        )
    settings = EventSettings(
        pg_dsn=events_service,
        kafka_bootstrap=kafka_bootstrap,
        group_prefix=fresh_group_prefix("it-rem"),
        reminder_lead_hours=4,
        reminder_check_seconds=0.2,
    )
    for _ in range(2):  # a second instance of the service (or a restart) does not remind again
        async with running(events.spec(settings), settings):
            reminder = await watcher.wait_for(
                lambda s: isinstance(s.body, f.HubEventReminder) and s.body.hub_event_id == evening.hub_event_id
            )
            await asyncio.sleep(0.6)  # three reminder checks in which no second reminder may go out
    reminders = {
        s.envelope.id
        for s in watcher.seen
        if isinstance(s.body, f.HubEventReminder) and s.body.hub_event_id == evening.hub_event_id
    }
    assert len(reminders) == 1
    assert (reminder.body.registered, reminder.body.capacity, reminder.body.title) == (1, 30, "Infokväll snart")


async def test_organisers_update_and_move_an_occurrence_with_its_registrations(events_service, partner, watcher):
    async with partner("goteborgs-stad-arbvux") as arbvux, partner("stadsmissionen") as co, partner("brg") as other:
        evening = await schedule(
            arbvux,
            capacity=5,
            co_organiser_ids=["stadsmissionen"],
            languages=["sv", "ar"],
            title_en="Information evening",
            audience="alla",
        )
        accepted(
            await arbvux.request(
                c.RegisterForHubEvent(hub_event_id=evening.hub_event_id, participant_ref=resident(8000))
            )
        )
        accepted(
            await co.request(c.UpdateHubEvent(hub_event_id=evening.hub_event_id, title="Informationskväll (ny lokal)"))
        )
        later = STARTS + timedelta(days=1)
        accepted(
            await co.request(
                c.RescheduleOccurrence(
                    hub_event_id=evening.hub_event_id, starts_at=later, ends_at=later + timedelta(hours=2)
                )
            )
        )
        refused = await other.request(c.UpdateHubEvent(hub_event_id=evening.hub_event_id, title="Kapad"))
        taken = await arbvux.request(
            c.RescheduleOccurrence(
                hub_event_id=evening.hub_event_id,
                occurrence_starts_at=STARTS,
                starts_at=later,
                ends_at=later + timedelta(hours=2),
            )
        )
    assert refused.code == "not-permitted" and taken.code == "occurrence-unknown"  # it moved away from STARTS
    moved = await watcher.wait_for(
        lambda s: isinstance(s.body, f.OccurrenceRescheduled) and s.body.hub_event_id == evening.hub_event_id
    )
    assert (moved.body.was_starts_at, moved.body.starts_at, moved.body.registered) == (STARTS, later, 1)
    assert moved.body.title == "Informationskväll (ny lokal)" and moved.body.version == 3
    [row] = await rows(
        events_service, "SELECT occurrence_starts_at FROM registrations WHERE participant_ref = $1", resident(8000)
    )
    assert row[0] == later  # the registration moved with the occurrence
    [event] = await rows(
        events_service, "SELECT starts_at, languages, audience FROM hub_events WHERE id = $1", evening.hub_event_id
    )
    assert tuple(event) == (later, ["sv", "ar"], "alla")


async def test_an_erased_resident_loses_their_place_and_their_reference(events_service, partner, watcher):
    async with partner("goteborgs-stad-arbvux") as arbvux, partner("bostadsbolaget") as sender:
        evening = await schedule(arbvux, capacity=1, title="Öppet hus")
        accepted(await sender.request(consent(person(6))))
        for ref in (ref_of(person(6)), resident(6001)):
            accepted(
                await arbvux.request(c.RegisterForHubEvent(hub_event_id=evening.hub_event_id, participant_ref=ref))
            )
        erase = EraseParticipant(sealed_personnummer=sealed_number(person(6)), noted_by="Amina Hassan")
        accepted(await sender.request(erase))
        await watcher.wait_for(
            lambda s: isinstance(s.body, f.WaitlistPromoted) and s.body.hub_event_id == evening.hub_event_id
        )
    stored = await rows(
        events_service,
        "SELECT participant_ref, status FROM registrations WHERE hub_event_id = $1 ORDER BY seq",
        evening.hub_event_id,
    )
    assert [tuple(r) for r in stored] == [(None, "cancelled"), (resident(6001), "registered")]
