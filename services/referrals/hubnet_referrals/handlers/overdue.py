"""Announce referrals that have waited past their SLA: one `referral.overdue` per breach, written
with the clock's new deadline in one transaction (no repeat after a restart, and a breach that
fell due while the service was down is announced when it comes back)."""

from datetime import datetime

from hubnet_common.sdk.messages.referral_events import ReferralOverdue
from hubnet_common.sdk.messages.vocabulary import Status
from hubnet_referrals.handlers import load
from hubnet_referrals.handlers.ports import UnitOfWork


async def announce_overdue(uow: UnitOfWork, now: datetime, *, batch: int = 100) -> int:
    """Announce the breaches due at `now`; returns how many."""
    clocks = await uow.sla.due(now, batch)
    for clock in clocks:
        referral = await load.referral(uow, clock.referral_id)
        breach, missed = clock.breach()
        await uow.sla.save(clock)
        uow.emit(
            ReferralOverdue(
                referral_id=referral.id,
                version=referral.version,
                status=Status(referral.status),
                sender_partner_id=referral.sender_partner_id,
                receiver_partner_id=referral.receiver_partner_id,
                service_id=referral.service_id,
                hub_id=referral.hub_id,
                actor_partner_id="network",
                at=now,
                kind=clock.kind,
                due_at=missed,
                breach=breach,
            ),
            caused_by=None,
        )
    await uow.commit()
    return len(clocks)
