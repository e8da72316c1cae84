"""EraseParticipant, and the erasure that withdrawing a resident's last consent causes
(docs/adr/0006-crypto-shredding.md).

In one transaction: every copy of the resident's data key is deleted (so nothing sealed about them,
on any topic or in any backup, can be opened again), their consents in force end, their open
referrals end as for withdrawn consent, the sealed contact details and free text of all their
referrals are scrubbed, and `participant.erased` tells the other services to drop what they hold.
The pseudonymous record stays: consents, referral statuses and history, the audit log.
Erasing a resident erased already changes nothing and announces nothing.
EraseParticipant needs the resident's personnummer sealed to this service (handlers/resident.py):
a ref copied from a fact is not enough to erase anyone.

The destroyed key is also recorded on `referral.erasures.v1` (domain/erasure.py), which a restore
of the database does not undo: at start-up the service erases again, announcing nothing, every
resident the restored database still holds such a key of (`erase_again`,
docs/adr/0011-custodian-rotation-and-restores.md).
"""

from datetime import datetime

from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.identity import partner_of
from hubnet_common.sdk.messages.referral_commands import EraseParticipant
from hubnet_common.sdk.messages.referral_events import ParticipantErased
from hubnet_common.sdk.messages.vocabulary import ReasonCode
from hubnet_referrals.domain.erasure import DataKeyDestroyed
from hubnet_referrals.domain.referral import Action, NotPermitted, Role
from hubnet_referrals.handlers import load
from hubnet_referrals.handlers.facts import fact_of
from hubnet_referrals.handlers.ports import KeyCustodian, UnitOfWork
from hubnet_referrals.handlers.resident import proven_ref


async def erase_participant(
    command: EraseParticipant, envelope: Envelope, uow: UnitOfWork, *, custodian: KeyCustodian
) -> dict[str, str]:
    participant_ref = proven_ref(command.sealed_personnummer, command.participant_ref, custodian)
    partner_id = partner_of(envelope.source) or envelope.source
    consents = await uow.consents.of_participant(participant_ref)
    if not any(consent.involves(partner_id) for consent in consents):
        # Also what an unknown resident gets: a partner learns nothing of residents it has no consent of.
        raise NotPermitted(
            f"{partner_id} holds no consent of this resident; only a partner that recorded or is "
            "named in one may ask to erase them"
        )
    await erase(
        uow,
        participant_ref,
        reason="requested",
        by=partner_id,
        noted_by=command.noted_by,
        at=envelope.time,
        caused_by=envelope,
    )
    return {"participant_ref": participant_ref}


async def erase(
    uow: UnitOfWork,
    participant_ref: str,
    *,
    reason: str,
    by: str,
    noted_by: str,
    at: datetime,
    caused_by: Envelope | None,
    announce: bool = True,
) -> None:
    await uow.data_keys.lock(participant_ref)
    key_made_at = await uow.data_keys.key_made_at(participant_ref)
    changed = await uow.data_keys.destroy(participant_ref)
    if key_made_at is not None and announce:
        # Queued first: it goes out in the relay batch of the answer that tells the partner it is done.
        uow.emit(DataKeyDestroyed(participant_ref=participant_ref, key_made_at=key_made_at), caused_by=caused_by)
    for consent in await uow.consents.of_participant(participant_ref, for_update=True):
        if consent.end_for_erasure(noted_by=noted_by, at=at):
            await uow.consents.save_withdrawal(consent)
            changed += 1
    for referral_id in await uow.referrals.open_of_participant(participant_ref):
        referral = await load.referral(uow, referral_id)
        transition = referral.apply(
            Action.END_FOR_WITHDRAWN_CONSENT,
            actor="network",
            role=Role.NETWORK,
            at=at,
            reason_code=ReasonCode.CONSENT_WITHDRAWN,
        )
        await uow.referrals.save(referral)
        await uow.sla.stop(referral.id, at)
        if announce:
            uow.emit(fact_of(referral, transition), caused_by=caused_by)
        changed += 1
    changed += await uow.referrals.erase_personal_data(participant_ref=participant_ref)
    if changed and announce:
        uow.emit(
            ParticipantErased(
                participant_ref=participant_ref,
                reason=reason,
                requested_by_partner_id=by,
                erased_at=at,
                referral_ids=await uow.referrals.ids_of_participant(participant_ref),
            ),
            caused_by=caused_by,
        )


async def erase_again(uow: UnitOfWork, erased: dict[str, datetime], *, at: datetime) -> int:
    """Erase again the residents (ref -> time of their last key destroyed) whose destroyed key a
    restored database brought back; how many. What the first erasure announced is on Kafka
    already, so nothing is announced: the database is only made to agree with it again."""
    again = await uow.data_keys.held_despite_erasure(erased)
    for participant_ref in again:
        await erase(
            uow,
            participant_ref,
            reason="requested",
            by="network",
            noted_by="network",
            at=at,
            caused_by=None,
            announce=False,
        )
    await uow.commit()
    return len(again)
