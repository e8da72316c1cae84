"""Registrations for an occurrence of a hub event: register (a place or the waitlist), cancel (the
first on the waitlist is promoted), record attendance. Commands about one hub event share its
partition, so they are decided one at a time, in arrival order; the occurrence row is also locked.

Who may: any partner registers a resident; the organisers, or the partner that registered the
resident, cancel the place; only the organisers record attendance. A partner not permitted gets
the same refusal whether the resident is registered or not, so it learns nothing about other
partners' residents (docs/security.md, "Who may do what")."""

from datetime import datetime

from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.errors import Refused
from hubnet_common.sdk.identity import partner_of
from hubnet_common.sdk.messages import hubevent_commands as c
from hubnet_common.sdk.messages import hubevent_events as f
from hubnet_events.domain.hub_event import HubEvent, HubEventUnknown
from hubnet_events.domain.occurrence import Occurrence, Registration, RegistrationIdTaken
from hubnet_events.handlers.ports import UnitOfWork


class OccurrenceUnknown(Refused):
    """The hub event has no occurrence starting at that time."""

    code = "occurrence-unknown"


class NotPermitted(Refused):
    """The registration belongs to another partner."""

    code = "not-permitted"


async def occurrence_of(uow: UnitOfWork, hub_event_id: str, starts_at: datetime | None) -> tuple[str, Occurrence]:
    """The hub's id and the occurrence a command means; the only one when it names none."""
    event, occurrence = await event_and_occurrence(uow, hub_event_id, starts_at)
    return event.hub_id, occurrence


async def event_and_occurrence(
    uow: UnitOfWork, hub_event_id: str, starts_at: datetime | None
) -> tuple[HubEvent, Occurrence]:
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
    return event, occurrence


async def registration_id_unused(uow: UnitOfWork, registration_id: str) -> None:
    """A registration id names one registration for ever: re-sent after a cancellation, or for
    another occurrence, it must not bring the old row back (PgOccurrences.save)."""
    if await uow.occurrences.registration_place(registration_id) is not None:
        raise RegistrationIdTaken(f"registration id {registration_id} is taken: a new registration needs a new id")


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
    by = partner_of(envelope.source)
    if occurrence.holds(command.registration_id, command.participant_ref, by):
        return  # the same registration sent again: it stands, nothing changes
    await registration_id_unused(uow, command.registration_id)
    registration = occurrence.register(
        command.registration_id, command.participant_ref, envelope.time, command.referral_id, by=by
    )
    await uow.occurrences.save(occurrence)
    uow.emit(placed(hub_id, occurrence, registration), caused_by=envelope)


async def cancel_registration(command: c.CancelRegistration, envelope: Envelope, uow: UnitOfWork) -> None:
    event, occurrence = await event_and_occurrence(uow, command.hub_event_id, command.occurrence_starts_at)
    hub_id, by = event.hub_id, partner_of(envelope.source)
    was = occurrence.find(command.participant_ref)
    if not event.organised_by(by) and (was is None or by is None or was.registered_by != by):
        # one refusal for "registered by another partner" and "not registered": no oracle
        raise NotPermitted(
            f"only the organisers of {event.id} or the partner that registered a resident may cancel their place"
        )
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
    event, occurrence = await event_and_occurrence(uow, command.hub_event_id, command.occurrence_starts_at)
    if not event.organised_by(partner_of(envelope.source)):
        raise NotPermitted(f"only the organisers of {event.id} may record attendance")
    hub_id = event.hub_id
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
