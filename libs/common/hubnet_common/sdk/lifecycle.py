"""The steps of a referral's life, one line each: the command a partner sends, the
action the referrals domain applies, the fact it publishes, and whose staff are told of it.

The referrals service applies the action by its rule (`RULES` in
services/referrals/hubnet_referrals/domain/referral.py: from which statuses, to which, and who may);
the notifications service tells the party named here. Both read this table because neither may
import the other. A new step is one line here and its rule there.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from hubnet_common.sdk.messages import referral_commands as c
from hubnet_common.sdk.messages import referral_events as f
from hubnet_common.sdk.messages.base import Command, Fact


class Action(StrEnum):
    REQUEST = "request"
    ACKNOWLEDGE = "acknowledge"
    ACCEPT = "accept"
    REJECT = "reject"
    START = "start"
    HOLD = "hold"
    RESUME = "resume"
    FAIL = "fail"
    COMPLETE = "complete"
    CANCEL = "cancel"
    REOPEN = "reopen"
    MARK_ENTERED_IN_ERROR = "mark-entered-in-error"
    END_FOR_WITHDRAWN_CONSENT = "end-for-withdrawn-consent"


class Party(StrEnum):
    """Whose staff hear of a step: the partner that sent the referral or the one that received it."""

    SENDER = "sender"
    RECEIVER = "receiver"


@dataclass(frozen=True)
class Step:
    action: Action
    command: type[Command] | None  # None: the network takes the step itself
    fact: type[Fact]
    told: Party


A, P = Action, Party
STEPS = (
    Step(A.REQUEST, c.CreateReferral, f.ReferralRequested, P.RECEIVER),
    Step(A.ACKNOWLEDGE, c.AcknowledgeReferral, f.ReferralReceived, P.SENDER),
    Step(A.ACCEPT, c.AcceptReferral, f.ReferralAccepted, P.SENDER),
    Step(A.REJECT, c.RejectReferral, f.ReferralRejected, P.SENDER),
    Step(A.START, c.StartReferral, f.ReferralStarted, P.SENDER),
    Step(A.HOLD, c.HoldReferral, f.ReferralPutOnHold, P.SENDER),
    Step(A.RESUME, c.ResumeReferral, f.ReferralResumed, P.SENDER),
    Step(A.FAIL, c.FailReferral, f.ReferralFailed, P.SENDER),
    Step(A.COMPLETE, c.CompleteReferral, f.ReferralCompleted, P.SENDER),
    Step(A.CANCEL, c.CancelReferral, f.ReferralCancelled, P.RECEIVER),
    Step(A.REOPEN, c.ReopenReferral, f.ReferralReopened, P.SENDER),
    Step(A.MARK_ENTERED_IN_ERROR, c.MarkReferralEnteredInError, f.ReferralEnteredInError, P.RECEIVER),
    Step(A.END_FOR_WITHDRAWN_CONSENT, None, f.ReferralCancelled, P.RECEIVER),
)

STEP_OF = {step.action: step for step in STEPS}
# The commands that change a referral already there; creating one is a use case of its own.
CHANGES = {step.command: step for step in STEPS if step.command is not None and step.action is not A.REQUEST}
# Two steps may publish the same fact (a cancellation, by the sender or for withdrawn consent):
# they tell the same party, so who is told follows from the fact alone.
TOLD_OF = {step.fact: step.told for step in STEPS}
assert all(TOLD_OF[step.fact] is step.told for step in STEPS), "one fact, one party told"
