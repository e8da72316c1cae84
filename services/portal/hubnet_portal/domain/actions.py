"""The steps the portal offers on a referral: those of the network's one table
(hubnet_common/sdk/lifecycle.py) that its partner may take now, as the referral's sender or its
receiver, and that the portal has a form for. The referrals service decides, and refuses anything
else; this only chooses which buttons to show."""

from __future__ import annotations

from dataclasses import dataclass

from hubnet_common.sdk.lifecycle import STEP_OF, Action, Party
from hubnet_common.sdk.messages.vocabulary import ReasonCode
from hubnet_portal.domain.words import N_


@dataclass(frozen=True)
class Offer:
    action: Action
    label: str  # a gettext message id
    needs_outcome: bool = False
    needs_reason: bool = False
    needs_note: bool = False


# The portal's forms, with their buttons' words (marking a referral entered in error has none yet).
LABEL = {
    Action.ACKNOWLEDGE: N_("Acknowledge receipt"),
    Action.ACCEPT: N_("Accept"),
    Action.REJECT: N_("Reject"),
    Action.START: N_("Start"),
    Action.HOLD: N_("Pause"),
    Action.RESUME: N_("Resume"),
    Action.FAIL: N_("End as failed"),
    Action.COMPLETE: N_("Complete"),
    Action.CANCEL: N_("Cancel the referral"),
    Action.REOPEN: N_("Reopen"),
}
OFFERED = frozenset(LABEL)
# The reasons staff choose from; consent-withdrawn is the network's own (withdrawn consent ends referrals).
REASONS = tuple(code for code in ReasonCode if code is not ReasonCode.CONSENT_WITHDRAWN)


def offer_of(action: Action) -> Offer:
    step = STEP_OF[action]
    return Offer(
        action,
        LABEL[action],
        needs_outcome=step.needs_outcome,
        needs_reason=step.needs_reason,
        needs_note=step.needs_note,
    )


def roles_of(referral: dict, partner: str) -> set[Party]:
    sides = {Party.SENDER: referral.get("sender_partner_id"), Party.RECEIVER: referral.get("receiver_partner_id")}
    return {party for party, who in sides.items() if who == partner}


def offers(referral: dict, partner: str) -> tuple[Offer, ...]:
    roles, status = roles_of(referral, partner), referral.get("status", "")
    return tuple(
        offer_of(action) for action in LABEL if STEP_OF[action].by in roles and status in STEP_OF[action].sources
    )
