"""The organiser changes a hub event: its capacity (waitlisted residents move up into new places;
never below the registrations already confirmed), or cancels it with a reason."""

from hubnet_common.envelope import Envelope, partner_of
from hubnet_common.messages import hubevent_commands as c
from hubnet_common.messages import hubevent_events as f

from hubnet_events.adapters.uow import EventsUnitOfWork
from hubnet_events.domain.hub_event import HubEventUnknown
from hubnet_events.handlers.registrations import promoted


async def change_capacity(command: c.ChangeHubEventCapacity, envelope: Envelope, uow: EventsUnitOfWork) -> None:
    event = await uow.hub_events.get_for_update(command.hub_event_id)
    if event is None:
        raise HubEventUnknown(f"there is no hub event {command.hub_event_id}")
    event.change_capacity(command.capacity, by=partner_of(envelope.source))
    moved_up = []
    for starts_at in await uow.occurrences.starts(event.id):
        occurrence = await uow.occurrences.get(event.id, starts_at)
        moved_up += [promoted(event.hub_id, occurrence, r) for r in occurrence.change_capacity(command.capacity)]
        await uow.occurrences.save(occurrence)
    await uow.hub_events.save(event)
    uow.emit(f.HubEventCapacityChanged(hub_event_id=event.id, hub_id=event.hub_id, version=event.version,
                                       capacity=event.capacity), caused_by=envelope)
    for fact in moved_up:
        uow.emit(fact, caused_by=envelope)


async def cancel_hub_event(command: c.CancelHubEvent, envelope: Envelope, uow: EventsUnitOfWork) -> None:
    event = await uow.hub_events.get_for_update(command.hub_event_id)
    if event is None:
        raise HubEventUnknown(f"there is no hub event {command.hub_event_id}")
    event.cancel(command.reason, by=partner_of(envelope.source))
    cancelled = 0
    for starts_at in await uow.occurrences.starts(event.id):
        occurrence = await uow.occurrences.get(event.id, starts_at)
        cancelled += occurrence.close()
        await uow.occurrences.save(occurrence)
    await uow.hub_events.save(event)
    uow.emit(f.HubEventCancelled(hub_event_id=event.id, hub_id=event.hub_id, title=event.title, version=event.version,
                                 reason=command.reason, registrations_cancelled=cancelled), caused_by=envelope)
