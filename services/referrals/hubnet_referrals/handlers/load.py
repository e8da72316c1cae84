"""Loading what a handler needs to exist."""

from hubnet_referrals.domain.referral import Referral, ReferralUnknown
from hubnet_referrals.handlers.ports import UnitOfWork


async def referral(uow: UnitOfWork, referral_id: str, *, for_update: bool = False) -> Referral:
    """The referral; ReferralUnknown when there is none."""
    found = await uow.referrals.get(referral_id, for_update=for_update)
    if found is None:
        raise ReferralUnknown(f"there is no referral {referral_id}")
    return found
