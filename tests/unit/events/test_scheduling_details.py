"""A scheduled hub event keeps every detail its organiser gave, and a series makes its occurrences."""

from datetime import timedelta

from hubnet_common.sdk.messages.hubevent_events import HubEventScheduled
from hubnet_common.sdk.messages.replies import CommandRejected
from tests.unit.events.test_hub_event_commands import STARTS, command, processor, published, uow  # noqa: F401


async def test_the_details_in_both_languages_are_kept(processor, uow):
    assert (
        await processor.process(
            command(
                "familjebostader",
                description="Om jobb",
                title_en="Job evening",
                description_en="About jobs",
                languages=["sv", "en"],
                audience="unga vuxna 18–25",
                co_organiser_ids=["brg"],
            )
        )
        == "accepted"
    )
    event = uow.hub_events.by_id["E-1"]
    assert (
        event.hub_id,
        event.description,
        event.title_en,
        event.description_en,
        event.languages,
        event.audience,
        event.co_organiser_ids,
        event.rrule,
    ) == ("bergsjon", "Om jobb", "Job evening", "About jobs", ("sv", "en"), "unga vuxna 18–25", ("brg",), None)
    assert list(uow.occurrences.by_key) == [("E-1", STARTS)]


async def test_a_weekly_series_makes_one_occurrence_a_week_with_the_events_capacity(processor, uow):
    assert await processor.process(command("familjebostader", rrule="FREQ=WEEKLY;COUNT=3", capacity=8)) == "accepted"
    [fact] = published(uow, HubEventScheduled)
    assert (fact.rrule, fact.occurrences) == ("FREQ=WEEKLY;COUNT=3", 3)
    assert sorted(start for _, start in uow.occurrences.by_key) == [STARTS + n * timedelta(days=7) for n in range(3)]
    assert {o.capacity for o in uow.occurrences.by_key.values()} == {8}


async def test_a_second_hub_event_with_a_taken_id_is_refused(processor, uow):
    await processor.process(command("familjebostader"))
    assert await processor.process(command("familjebostader", title="Again")) == "refused"
    [reply] = published(uow, CommandRejected)
    assert reply.code == "hub-event-exists" and uow.hub_events.by_id["E-1"].title == "Pop-up"
