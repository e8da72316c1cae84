"""CreateReferral: a partner refers a resident, with recorded consent, to another partner's service."""

from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.identity import partner_of
from hubnet_common.sdk.messages.referral_commands import CreateReferral
from hubnet_common.sdk.messages.referral_events import ReferralRequested
from hubnet_referrals.domain.consent import ConsentMissing
from hubnet_referrals.domain.referral import Referral, ReferralExists
from hubnet_referrals.domain.sla import SlaClock
from hubnet_referrals.handlers.facts import common_fields
from hubnet_referrals.handlers.ports import KeyCustodian, UnitOfWork
from hubnet_referrals.handlers.sealed import check_sealed


async def create_referral(
    command: CreateReferral, envelope: Envelope, uow: UnitOfWork, *, custodian: KeyCustodian
) -> None:
    if await uow.referrals.get(command.referral_id) is not None:
        raise ReferralExists(f"a referral with id {command.referral_id} already exists")
    sender_id = partner_of(envelope.source) or ""
    service = await uow.directory.service(command.service_id)
    referral = Referral.request(
        referral_id=command.referral_id,
        sender=await uow.directory.partner(sender_id) if sender_id else None,
        sender_id=sender_id or envelope.source,
        service=service,
        service_id=command.service_id,
        hub_id=command.hub_id,
        participant_ref=command.participant_ref,
        purpose=command.purpose,
        need=command.need,
        consent_id=command.consent_id,
        sealed_contact=command.sealed_contact,
        at=envelope.time,
    )
    consent = await uow.consents.get(command.consent_id)
    if consent is None:
        raise ConsentMissing(f"there is no consent {command.consent_id}; record the resident's consent first")
    consent.check_covers(
        participant_ref=command.participant_ref,
        partner_id=referral.receiver_partner_id,
        purpose=command.purpose,
        at=envelope.time,
    )
    await check_sealed(
        uow, custodian, command.participant_ref, {"need": command.need, "sealed_contact": command.sealed_contact}
    )
    await uow.referrals.add(referral)
    assert service is not None  # Referral.request refuses an unknown service
    clock = SlaClock.start(referral.id, "acknowledge", service.ack_within_days, referral.requested_at)
    await uow.sla.start(clock)
    uow.emit(
        ReferralRequested(
            **common_fields(referral, referral.history[-1]),
            participant_ref=referral.participant_ref,
            purpose=command.purpose,
            consent_id=command.consent_id,
            sealed_contact=referral.sealed_contact,
            ack_due_at=clock.due_at,
            hub_event_id=command.hub_event_id,
            occurrence_starts_at=command.occurrence_starts_at,
        ),
        caused_by=envelope,
    )
