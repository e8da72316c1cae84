"""ScheduleHubEvent: a partner puts an activity on a hub's calendar."""

from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.identity import partner_of
from hubnet_common.sdk.messages.hubevent_commands import ScheduleHubEvent
from hubnet_common.sdk.messages.hubevent_events import HubEventScheduled
from hubnet_events.domain.hub_event import HubEvent, HubEventExists
from hubnet_events.domain.occurrence import Occurrence
from hubnet_events.domain.recurrence import occurrences, validate_rrule
from hubnet_events.handlers.ports import UnitOfWork


async def schedule_hub_event(command: ScheduleHubEvent, envelope: Envelope, uow: UnitOfWork) -> None:
    if await uow.hub_events.get(command.hub_event_id) is not None:
        raise HubEventExists(f"a hub event with id {command.hub_event_id} already exists")
    organiser_id = partner_of(envelope.source)
    event = HubEvent.schedule(
        hub_event_id=command.hub_event_id,
        hub=await uow.directory.hub(command.hub_id),
        hub_id=command.hub_id,
        organiser=await uow.directory.partner(organiser_id) if organiser_id else None,
        organiser_id=organiser_id or envelope.source,
        kind=command.kind,
        title=command.title,
        description=command.description,
        starts_at=command.starts_at,
        ends_at=command.ends_at,
        capacity=command.capacity,
        rrule=validate_rrule(command.rrule) if command.rrule else None,
        co_organiser_ids=tuple(command.co_organiser_ids),
        title_en=command.title_en,
        description_en=command.description_en,
        languages=tuple(command.languages),
        audience=command.audience,
    )
    times = occurrences(event.starts_at, event.ends_at, event.rrule)
    await uow.hub_events.add(event)
    await uow.occurrences.add([Occurrence(event.id, start, end, event.capacity) for start, end in times])
    uow.emit(
        HubEventScheduled(
            hub_event_id=event.id,
            version=event.version,
            hub_id=event.hub_id,
            organiser_partner_id=event.organiser_partner_id,
            kind=event.kind,
            title=event.title,
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            capacity=event.capacity,
            rrule=event.rrule,
            occurrences=len(times),
        ),
        caused_by=envelope,
    )
