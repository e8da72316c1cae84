"""Load the directory from the seed of the real network and publish what changed on directory.v1.

Idempotent: an entry that is already stored as it is in the seed is neither written nor published.
"""

from collections.abc import Iterable

from hubnet_common.messages.directory import HubUpserted, PartnerUpserted, ServiceUpserted

from hubnet_referrals.adapters.uow import ReferralsUnitOfWork
from hubnet_referrals.domain.directory import Hub, Partner, Service


async def load_directory(
    uow: ReferralsUnitOfWork, partners: Iterable[Partner], hubs: Iterable[Hub], services: Iterable[Service]
) -> int:
    """Store and announce every new or changed entry; returns how many changed."""
    changed = 0
    for partner in partners:
        if await uow.directory.upsert_partner(partner):
            uow.emit(PartnerUpserted(partner_id=partner.id, name=partner.name, active=partner.active), caused_by=None)
            changed += 1
    for hub in hubs:
        if await uow.directory.upsert_hub(hub):
            uow.emit(HubUpserted(hub_id=hub.id, name=hub.name, active=hub.active), caused_by=None)
            changed += 1
    for service in services:
        if await uow.directory.upsert_service(service):
            uow.emit(
                ServiceUpserted(
                    service_id=service.id, partner_id=service.partner_id, name=service.name,
                    hub_ids=list(service.hub_ids), active=service.active,
                ),
                caused_by=None,
            )
            changed += 1
    await uow.commit()
    return changed
