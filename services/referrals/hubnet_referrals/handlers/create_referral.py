"""CreateReferral: a partner refers a resident to another partner's service."""

from hubnet_common.envelope import Envelope, partner_of
from hubnet_common.messages.referral_commands import CreateReferral
from hubnet_common.messages.referral_events import ReferralRequested

from hubnet_referrals.adapters.uow import ReferralsUnitOfWork
from hubnet_referrals.domain.referral import Referral, ReferralExists


async def create_referral(command: CreateReferral, envelope: Envelope, uow: ReferralsUnitOfWork) -> None:
    if await uow.referrals.get(command.referral_id) is not None:
        raise ReferralExists(f"a referral with id {command.referral_id} already exists")
    sender_id = partner_of(envelope.source) or ""
    referral = Referral.request(
        referral_id=command.referral_id,
        sender=await uow.directory.partner(sender_id) if sender_id else None,
        sender_id=sender_id or envelope.source,
        service=await uow.directory.service(command.service_id),
        service_id=command.service_id,
        hub_id=command.hub_id,
        participant_ref=command.participant_ref,
        purpose=command.purpose,
        need=command.need,
        consent_id=command.consent_id,
        sealed_contact=command.sealed_contact,
        at=envelope.time,
    )
    await uow.referrals.add(referral)
    uow.emit(
        ReferralRequested(
            referral_id=referral.id,
            version=referral.version,
            sender_partner_id=referral.sender_partner_id,
            receiver_partner_id=referral.receiver_partner_id,
            service_id=referral.service_id,
            hub_id=referral.hub_id,
            participant_ref=referral.participant_ref,
            purpose=referral.purpose,
            requested_at=referral.requested_at,
            sealed_contact=referral.sealed_contact,
        ),
        caused_by=envelope,
    )
