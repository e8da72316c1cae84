"""Sharing a resident's data key with the partners a consent involves
(docs/adr/0006-crypto-shredding.md).

The key is made when the resident's first consent is recorded and lives only as sealed copies;
the custodian opens its own copy to seal one for a partner that a later consent adds.
"""

import structlog

from hubnet_referrals.domain.consent import Consent
from hubnet_referrals.domain.data_key import CUSTODIAN, DataKeyCopy, holders_to_seal_for, readers
from hubnet_referrals.handlers.ports import KeyCustodian, UnitOfWork

log = structlog.get_logger(__name__)


async def share_data_key(uow: UnitOfWork, custodian: KeyCustodian, consent: Consent) -> None:
    await uow.data_keys.lock(consent.participant_ref)
    held = await uow.data_keys.copies(consent.participant_ref)
    wanted: dict[str, str | None] = {CUSTODIAN: custodian.public_key}
    for partner_id in readers(consent):
        partner = await uow.directory.partner(partner_id)
        wanted[partner_id] = partner.encryption_public_key if partner else None
        if wanted[partner_id] is None:
            log.info(
                "no data key copy for a partner without a published encryption key",
                partner_id=partner_id,
                consent_id=consent.id,
            )
    to_seal = holders_to_seal_for(wanted, held)
    if not to_seal:
        return
    data_key = custodian.open(held[CUSTODIAN]) if CUSTODIAN in held else custodian.new_key()
    for holder, public_key in to_seal.items():
        await uow.data_keys.put(
            consent.participant_ref, DataKeyCopy(holder, public_key, custodian.seal(data_key, public_key))
        )
