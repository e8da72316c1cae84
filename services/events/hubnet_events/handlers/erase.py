"""participant.erased: the resident's places at occurrences still to come are cancelled (the first
waiting moves up), then their reference is dropped from every registration they had. The counts
stay, so the figures (registrations, attendance) do not change. A request for one of their
referrals arriving later (from another partition) registers nobody."""

from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.messages import hubevent_events as f
from hubnet_common.sdk.messages.referral_events import ParticipantErased
from hubnet_events.handlers.ports import UnitOfWork
from hubnet_events.handlers.registrations import occurrence_of, promoted


async def erase_participant(fact: ParticipantErased, envelope: Envelope, uow: UnitOfWork) -> None:
    for hub_event_id, starts_at in await uow.occurrences.upcoming_of(fact.participant_ref, fact.erased_at):
        hub_id, occurrence = await occurrence_of(uow, hub_event_id, starts_at)
        cancelled, moved_up = occurrence.cancel(fact.participant_ref)
        await uow.occurrences.save(occurrence)
        uow.emit(
            f.RegistrationCancelled(
                hub_event_id=hub_event_id,
                hub_id=hub_id,
                occurrence_starts_at=starts_at,
                registration_id=cancelled.id,
                was="participant erased",
            ),
            caused_by=envelope,
        )
        if moved_up is not None:
            uow.emit(promoted(hub_id, occurrence, moved_up), caused_by=envelope)
    await uow.occurrences.erase_participant(fact.participant_ref, fact.referral_ids)
