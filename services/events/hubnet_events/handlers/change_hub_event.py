"""The organisers change a hub event: its words, the time of an occurrence (registrations move
with it), its capacity (waitlisted residents move up into new places; never below the
registrations already confirmed), or cancel it with a reason."""

from datetime import datetime

from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.errors import Refused
from hubnet_common.sdk.identity import partner_of
from hubnet_common.sdk.messages import hubevent_commands as c
from hubnet_common.sdk.messages import hubevent_events as f
from hubnet_events.domain.hub_event import HubEventUnknown
from hubnet_events.domain.occurrence import Occurrence
from hubnet_events.handlers.ports import UnitOfWork
from hubnet_events.handlers.registrations import OccurrenceUnknown, occurrence_of, promoted


class OccurrenceTaken(Refused):
    """Another occurrence of the hub event already starts at that time."""

    code = "occurrence-taken"


async def occurrence_at(uow: UnitOfWork, hub_event_id: str, starts_at: datetime) -> Occurrence:
    """One of the times `occurrences.starts` gave, read in the same unit of work."""
    occurrence = await uow.occurrences.get(hub_event_id, starts_at)
    if occurrence is None:
        raise OccurrenceUnknown(f"{hub_event_id} does not take place at {starts_at.isoformat()}")
    return occurrence


async def change_capacity(command: c.ChangeHubEventCapacity, envelope: Envelope, uow: UnitOfWork) -> None:
    event = await uow.hub_events.get_for_update(command.hub_event_id)
    if event is None:
        raise HubEventUnknown(f"there is no hub event {command.hub_event_id}")
    event.change_capacity(command.capacity, by=partner_of(envelope.source))
    moved_up = []
    for starts_at in await uow.occurrences.starts(event.id):
        occurrence = await occurrence_at(uow, event.id, starts_at)
        moved_up += [promoted(event.hub_id, occurrence, r) for r in occurrence.change_capacity(command.capacity)]
        await uow.occurrences.save(occurrence)
    await uow.hub_events.save(event)
    uow.emit(
        f.HubEventCapacityChanged(
            hub_event_id=event.id, hub_id=event.hub_id, version=event.version, capacity=event.capacity
        ),
        caused_by=envelope,
    )
    for fact in moved_up:
        uow.emit(fact, caused_by=envelope)


async def cancel_hub_event(command: c.CancelHubEvent, envelope: Envelope, uow: UnitOfWork) -> None:
    event = await uow.hub_events.get_for_update(command.hub_event_id)
    if event is None:
        raise HubEventUnknown(f"there is no hub event {command.hub_event_id}")
    event.cancel(command.reason, by=partner_of(envelope.source))
    cancelled = 0
    for starts_at in await uow.occurrences.starts(event.id):
        occurrence = await occurrence_at(uow, event.id, starts_at)
        cancelled += occurrence.close()
        await uow.occurrences.save(occurrence)
    await uow.hub_events.save(event)
    uow.emit(
        f.HubEventCancelled(
            hub_event_id=event.id,
            hub_id=event.hub_id,
            title=event.title,
            version=event.version,
            reason=command.reason,
            registrations_cancelled=cancelled,
        ),
        caused_by=envelope,
    )


async def update_hub_event(command: c.UpdateHubEvent, envelope: Envelope, uow: UnitOfWork) -> None:
    event = await uow.hub_events.get_for_update(command.hub_event_id)
    if event is None:
        raise HubEventUnknown(f"there is no hub event {command.hub_event_id}")
    changed = event.update(command.model_dump(exclude={"hub_event_id"}), by=partner_of(envelope.source))
    if not changed:
        return  # nothing new: no fact
    await uow.hub_events.save(event)
    uow.emit(
        f.HubEventUpdated(
            hub_event_id=event.id, hub_id=event.hub_id, version=event.version, title=event.title, changed=changed
        ),
        caused_by=envelope,
    )


async def reschedule_occurrence(command: c.RescheduleOccurrence, envelope: Envelope, uow: UnitOfWork) -> None:
    event = await uow.hub_events.get_for_update(command.hub_event_id)
    if event is None:
        raise HubEventUnknown(f"there is no hub event {command.hub_event_id}")
    event.moved(by=partner_of(envelope.source))
    _, occurrence = await occurrence_of(uow, event.id, command.occurrence_starts_at)
    if command.starts_at != occurrence.starts_at and command.starts_at in await uow.occurrences.starts(event.id):
        raise OccurrenceTaken(f"{event.id} already takes place at {command.starts_at.isoformat()}")
    was = occurrence.starts_at
    occurrence.move(command.starts_at, command.ends_at)
    await uow.occurrences.move(occurrence, was)
    if event.rrule is None:  # a one-off: the event's own times are the occurrence's
        event.starts_at, event.ends_at = command.starts_at, command.ends_at
    await uow.hub_events.save(event)
    uow.emit(
        f.OccurrenceRescheduled(
            hub_event_id=event.id,
            hub_id=event.hub_id,
            version=event.version,
            title=event.title,
            was_starts_at=was,
            starts_at=occurrence.starts_at,
            ends_at=occurrence.ends_at,
            registered=len(occurrence.registered),
        ),
        caused_by=envelope,
    )
