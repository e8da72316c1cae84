"""Referrals to a hub event: the resident is registered when the referral is requested, and the
registration is cancelled when the referral is cancelled, rejected or entered in error. Facts are
never refused: a registration that cannot be made (an unknown or cancelled hub event, a resident
registered already) is logged and left."""

import structlog

from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.errors import Refused
from hubnet_common.sdk.messages import hubevent_events as f
from hubnet_common.sdk.messages import referral_events as r
from hubnet_common.sdk.messages.base import Message
from hubnet_common.service.processing import Handler
from hubnet_events.handlers.ports import UnitOfWork
from hubnet_events.handlers.registrations import occurrence_of, placed, promoted, registration_id_unused

log = structlog.get_logger(__name__)


async def register_referred(fact: r.ReferralRequested, envelope: Envelope, uow: UnitOfWork) -> None:
    if fact.hub_event_id is None or await uow.occurrences.referral_erased(fact.referral_id):
        return
    try:
        hub_id, occurrence = await occurrence_of(uow, fact.hub_event_id, fact.occurrence_starts_at)
        registration_id, by = f"G-{fact.referral_id}", fact.sender_partner_id  # the referring partner registers
        if occurrence.holds(registration_id, fact.participant_ref, by):
            return
        await registration_id_unused(uow, registration_id)
        registration = occurrence.register(
            registration_id, fact.participant_ref, envelope.time, fact.referral_id, by=by
        )
    except Refused as refusal:
        log.warning(
            "referral not registered for the hub event",
            code=refusal.code,
            reason=refusal.reason,
            referral_id=fact.referral_id,
            hub_event_id=fact.hub_event_id,
        )
        return
    await uow.occurrences.save(occurrence)
    uow.emit(placed(hub_id, occurrence, registration), caused_by=envelope)


async def unregister_referred(
    fact: r.ReferralCancelled | r.ReferralRejected | r.ReferralEnteredInError, envelope: Envelope, uow: UnitOfWork
) -> None:
    found = await uow.occurrences.registration_of_referral(fact.referral_id)
    if found is None:
        return
    hub_event_id, starts_at, participant_ref = found
    if participant_ref is None:
        return  # the resident was erased: their places are cancelled already
    hub_id, occurrence = await occurrence_of(uow, hub_event_id, starts_at)
    if occurrence.find(participant_ref) is None:
        return  # cancelled already
    cancelled, moved_up = occurrence.cancel(participant_ref)
    await uow.occurrences.save(occurrence)
    uow.emit(
        f.RegistrationCancelled(
            hub_event_id=hub_event_id,
            hub_id=hub_id,
            occurrence_starts_at=starts_at,
            registration_id=cancelled.id,
            was="referral " + fact.status,
        ),
        caused_by=envelope,
    )
    if moved_up is not None:
        uow.emit(promoted(hub_id, occurrence, moved_up), caused_by=envelope)


HANDLERS: dict[type[Message], Handler] = {
    r.ReferralRequested: register_referred,
    r.ReferralCancelled: unregister_referred,
    r.ReferralRejected: unregister_referred,
    r.ReferralEnteredInError: unregister_referred,
}
