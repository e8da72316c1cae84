"""participant.erased: drop every notification about the erased resident's referrals.

They never carried data about the resident, but an inbox entry or webhook document still ties a
referral, a hub and a date to them; a mail not yet sent is not sent at all, and a fact about one of
those referrals arriving later (it may, from another partition) makes no new notification.
"""

import structlog

from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.messages.referral_events import ParticipantErased
from hubnet_notifications.handlers.ports import UnitOfWork

log = structlog.get_logger(__name__)


async def erase_participant(fact: ParticipantErased, envelope: Envelope, uow: UnitOfWork) -> None:
    dropped = await uow.notifications.erase(fact.referral_ids)
    log.info("notifications about an erased resident's referrals dropped", count=dropped)
