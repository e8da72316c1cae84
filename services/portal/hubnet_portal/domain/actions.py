"""The steps the portal offers on a referral: those its partner may take as the receiver, by the
referral's status (the lifecycle in hubnet_common/sdk/lifecycle.py; the referrals service decides,
and refuses anything else, so this table only chooses which buttons to show)."""

from __future__ import annotations

from dataclasses import dataclass

from hubnet_common.sdk.lifecycle import Action
from hubnet_common.sdk.messages.vocabulary import Status
from hubnet_portal.domain.words import N_


@dataclass(frozen=True)
class Offer:
    action: Action
    label: str  # a gettext message id
    needs_outcome: bool = False


AS_RECEIVER: dict[str, tuple[Offer, ...]] = {
    Status.REQUESTED: (Offer(Action.ACKNOWLEDGE, N_("Acknowledge receipt")),),
    Status.RECEIVED: (Offer(Action.ACCEPT, N_("Accept")),),
    Status.ACCEPTED: (Offer(Action.START, N_("Start")),),
    Status.IN_PROGRESS: (Offer(Action.COMPLETE, N_("Complete"), needs_outcome=True),),
}
OFFERED = frozenset(offer.action for offers in AS_RECEIVER.values() for offer in offers)


def offers(referral: dict, partner: str) -> tuple[Offer, ...]:
    if referral.get("receiver_partner_id") != partner:
        return ()
    return AS_RECEIVER.get(referral.get("status", ""), ())
