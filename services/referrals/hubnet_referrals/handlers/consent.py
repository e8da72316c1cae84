"""RecordConsent and WithdrawConsent. Recording shares the resident's data key with the partners
the consent involves. Withdrawal cancels the open referrals the consent covered (reason: consent
withdrawn) and erases their personal data (sealed contact details, free text); withdrawing the
resident's last consent in force erases the resident.

Recording needs the resident's personnummer sealed to this service (handlers/resident.py): a ref
copied from a fact must not give anyone the resident's data key. The answer tells the sender the ref."""

from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.identity import partner_of
from hubnet_common.sdk.messages.referral_commands import RecordConsent, WithdrawConsent
from hubnet_common.sdk.messages.referral_events import ConsentRecorded, ConsentWithdrawn
from hubnet_common.sdk.messages.vocabulary import ReasonCode
from hubnet_referrals.domain.consent import Consent, ConsentExists, ConsentMissing
from hubnet_referrals.domain.referral import Action, Role, SenderUnknown
from hubnet_referrals.handlers import load
from hubnet_referrals.handlers.data_key import share_data_key
from hubnet_referrals.handlers.erase import erase
from hubnet_referrals.handlers.facts import fact_of
from hubnet_referrals.handlers.ports import KeyCustodian, UnitOfWork
from hubnet_referrals.handlers.resident import proven_ref


async def record_consent(
    command: RecordConsent, envelope: Envelope, uow: UnitOfWork, *, custodian: KeyCustodian
) -> dict[str, str]:
    participant_ref = proven_ref(command.sealed_personnummer, command.participant_ref, custodian)
    partner_id = partner_of(envelope.source)
    if not partner_id or await uow.directory.partner(partner_id) is None:
        raise SenderUnknown(f"{partner_id or envelope.source} is not a partner in the directory")
    if await uow.consents.get(command.consent_id) is not None:
        raise ConsentExists(f"a consent with id {command.consent_id} already exists")
    consent = Consent.record(
        id=command.consent_id,
        participant_ref=participant_ref,
        partner_ids=tuple(command.partner_ids),
        purposes=tuple(command.purposes),
        method=command.method,
        noted_by=command.noted_by,
        recorded_by=partner_id,
        given_at=command.given_at,
        valid_until=command.valid_until,
    )
    await uow.consents.add(consent)
    await share_data_key(uow, custodian, consent)
    uow.emit(
        ConsentRecorded(
            consent_id=consent.id,
            participant_ref=consent.participant_ref,
            partner_ids=list(consent.partner_ids),
            purposes=list(consent.purposes),
            method=consent.method,
            given_at=consent.given_at,
            valid_until=consent.valid_until,
            recorded_by_partner_id=partner_id,
        ),
        caused_by=envelope,
    )
    return {"participant_ref": participant_ref}  # in the answer, to the sender only


async def withdraw_consent(command: WithdrawConsent, envelope: Envelope, uow: UnitOfWork) -> None:
    consent = await uow.consents.get(command.consent_id, for_update=True)
    if consent is None:
        raise ConsentMissing(f"there is no consent {command.consent_id}")
    at = command.withdrawn_at or envelope.time
    by = partner_of(envelope.source) or envelope.source
    consent.withdraw(by_partner=by, noted_by=command.noted_by, at=at)
    await uow.consents.save_withdrawal(consent)
    cancelled = []
    for referral_id in await uow.referrals.open_under_consent(consent.id):
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
        uow.emit(fact_of(referral, transition), caused_by=envelope)
        cancelled.append(referral.id)
    await uow.referrals.erase_personal_data(consent_id=consent.id)  # closed ones too
    uow.emit(
        ConsentWithdrawn(
            consent_id=consent.id,
            participant_ref=consent.participant_ref,
            withdrawn_at=at,
            cancelled_referral_ids=cancelled,
        ),
        caused_by=envelope,
    )
    others = await uow.consents.of_participant(consent.participant_ref)
    if not any(other.is_valid_at(at) for other in others if other.id != consent.id):
        await erase(
            uow,
            consent.participant_ref,
            reason="consent-withdrawn",
            by=by,
            noted_by=command.noted_by,
            at=at,
            caused_by=envelope,
        )
