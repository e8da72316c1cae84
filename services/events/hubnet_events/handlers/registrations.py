"""Registrations for an occurrence of a hub event: register (a place or the waitlist), cancel (the
first on the waitlist is promoted), record attendance. Commands about one hub event share its
partition, so they are decided one at a time, in arrival order; the occurrence row is also locked."""

from datetime import datetime

from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.errors import Refused
from hubnet_common.sdk.messages import hubevent_commands as c
from hubnet_common.sdk.messages import hubevent_events as f
from hubnet_events.domain.hub_event import HubEventUnknown
from hubnet_events.domain.occurrence import Occurrence, Registration
from hubnet_events.handlers.ports import UnitOfWork


class OccurrenceUnknown(Refused):
    code = "occurrence-unknown"


async def occurrence_of(uow: UnitOfWork, hub_event_id: str, starts_at: datetime | None) -> tuple[str, Occurrence]:
    """The hub's id and the occurrence a command means; the only one when it names none."""
    event = await uow.hub_events.get(hub_event_id)
    if event is None:
        raise HubEventUnknown(f"there is no hub event {hub_event_id}")
    if starts_at is None:
        starts = await uow.occurrences.starts(hub_event_id)
        if len(starts) != 1:
            raise OccurrenceUnknown(f"{hub_event_id} takes place {len(starts)} times: say which (occurrence_starts_at)")
        starts_at = starts[0]
    occurrence = await uow.occurrences.get(hub_event_id, starts_at)
    if occurrence is None:
        raise OccurrenceUnknown(f"{hub_event_id} does not take place at {starts_at.isoformat()}")
    return event.hub_id, occurrence


def placed(hub_id: str, occurrence: Occurrence, r: Registration) -> f.Fact:
    where = dict(
        hub_event_id=occurrence.hub_event_id,
        hub_id=hub_id,
        occurrence_starts_at=occurrence.starts_at,
        registration_id=r.id,
        referral_id=r.referral_id,
    )
    if r.status == "registered":
        return f.RegistrationConfirmed(**where, registered=len(occurrence.registered), capacity=occurrence.capacity)
    return f.RegistrationWaitlisted(**where, waitlist_position=occurrence.waitlist.index(r) + 1)


def promoted(hub_id: str, occurrence: Occurrence, r: Registration) -> f.WaitlistPromoted:
    return f.WaitlistPromoted(
        hub_event_id=occurrence.hub_event_id,
        hub_id=hub_id,
        occurrence_starts_at=occurrence.starts_at,
        registration_id=r.id,
        referral_id=r.referral_id,
    )


async def register(command: c.RegisterForHubEvent, envelope: Envelope, uow: UnitOfWork) -> None:
    hub_id, occurrence = await occurrence_of(uow, command.hub_event_id, command.occurrence_starts_at)
    registration = occurrence.register(
        command.registration_id, command.participant_ref, envelope.time, command.referral_id
    )
    await uow.occurrences.save(occurrence)
    uow.emit(placed(hub_id, occurrence, registration), caused_by=envelope)


async def cancel_registration(command: c.CancelRegistration, envelope: Envelope, uow: UnitOfWork) -> None:
    hub_id, occurrence = await occurrence_of(uow, command.hub_event_id, command.occurrence_starts_at)
    was = occurrence.find(command.participant_ref)
    was_status = was.status if was else ""
    cancelled, moved_up = occurrence.cancel(command.participant_ref)
    await uow.occurrences.save(occurrence)
    uow.emit(
        f.RegistrationCancelled(
            hub_event_id=occurrence.hub_event_id,
            hub_id=hub_id,
            occurrence_starts_at=occurrence.starts_at,
            registration_id=cancelled.id,
            was=was_status,
        ),
        caused_by=envelope,
    )
    if moved_up is not None:
        uow.emit(promoted(hub_id, occurrence, moved_up), caused_by=envelope)


async def record_attendance(command: c.RecordAttendance, envelope: Envelope, uow: UnitOfWork) -> None:
    hub_id, occurrence = await occurrence_of(uow, command.hub_event_id, command.occurrence_starts_at)
    occurrence.record_attendance(command.attended, command.no_shows, command.walk_ins)
    await uow.occurrences.save(occurrence)
    registered = occurrence.registered
    uow.emit(
        f.AttendanceRecorded(
            hub_event_id=occurrence.hub_event_id,
            hub_id=hub_id,
            occurrence_starts_at=occurrence.starts_at,
            registered=len(registered),
            attended=sum(r.attendance == "attended" for r in registered),
            no_shows=sum(r.attendance == "no-show" for r in registered),
            walk_ins=occurrence.walk_ins,
        ),
        caused_by=envelope,
    )
