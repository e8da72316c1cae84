"""The steps of a referral's life, one line each: the command a partner sends, the
action the referrals domain applies, the fact it publishes, whose staff are told of it, who may
take it, from which statuses, to which, and what it needs (a reason code, a note, the outcome).

The referrals service applies the action by this rule (`RULES` in
services/referrals/hubnet_referrals/domain/referral.py keys it by action); the notifications service
tells the party named here; the staff portal offers the steps its partner may take now. They all
read this table because none may import another. A new step is one line here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from hubnet_common.sdk.messages import referral_commands as c
from hubnet_common.sdk.messages import referral_events as f
from hubnet_common.sdk.messages.base import Command, Fact
from hubnet_common.sdk.messages.vocabulary import OPEN, Status


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
    """The partner that sent the referral or the one that received it: who takes a step, whose staff hear of it."""

    SENDER = "sender"
    RECEIVER = "receiver"


@dataclass(frozen=True)
class Step:
    action: Action
    command: type[Command] | None  # None: the network takes the step itself
    fact: type[Fact]
    told: Party
    by: Party | None  # None: the network (the referrals service itself)
    sources: frozenset[Status]
    target: Status
    needs: str = ""  # "reason" (a reason code), "note" or "outcome"

    @property
    def needs_reason(self) -> bool:
        return self.needs == "reason"

    @property
    def needs_note(self) -> bool:
        return self.needs == "note"

    @property
    def needs_outcome(self) -> bool:
        return self.needs == "outcome"


A, P, S = Action, Party, Status
ONLY = frozenset
CLOSED = ONLY({S.COMPLETED, S.FAILED, S.REJECTED})
STEPS = (
    Step(A.REQUEST, c.CreateReferral, f.ReferralRequested, P.RECEIVER, P.SENDER, ONLY(), S.REQUESTED),
    Step(
        A.ACKNOWLEDGE, c.AcknowledgeReferral, f.ReferralReceived, P.SENDER, P.RECEIVER, ONLY({S.REQUESTED}), S.RECEIVED
    ),
    Step(A.ACCEPT, c.AcceptReferral, f.ReferralAccepted, P.SENDER, P.RECEIVER, ONLY({S.RECEIVED}), S.ACCEPTED),
    Step(
        A.REJECT, c.RejectReferral, f.ReferralRejected, P.SENDER, P.RECEIVER, ONLY({S.RECEIVED}), S.REJECTED, "reason"
    ),
    Step(A.START, c.StartReferral, f.ReferralStarted, P.SENDER, P.RECEIVER, ONLY({S.ACCEPTED}), S.IN_PROGRESS),
    Step(A.HOLD, c.HoldReferral, f.ReferralPutOnHold, P.SENDER, P.RECEIVER, ONLY({S.IN_PROGRESS}), S.ON_HOLD),
    Step(A.RESUME, c.ResumeReferral, f.ReferralResumed, P.SENDER, P.RECEIVER, ONLY({S.ON_HOLD}), S.IN_PROGRESS),
    Step(A.FAIL, c.FailReferral, f.ReferralFailed, P.SENDER, P.RECEIVER, ONLY({S.IN_PROGRESS}), S.FAILED, "reason"),
    Step(
        A.COMPLETE,
        c.CompleteReferral,
        f.ReferralCompleted,
        P.SENDER,
        P.RECEIVER,
        ONLY({S.IN_PROGRESS}),
        S.COMPLETED,
        "outcome",
    ),
    Step(
        A.CANCEL,
        c.CancelReferral,
        f.ReferralCancelled,
        P.RECEIVER,
        P.SENDER,
        ONLY({S.REQUESTED, S.RECEIVED}),
        S.CANCELLED,
        "reason",
    ),
    Step(A.REOPEN, c.ReopenReferral, f.ReferralReopened, P.SENDER, P.RECEIVER, CLOSED, S.IN_PROGRESS, "note"),
    Step(
        A.MARK_ENTERED_IN_ERROR,
        c.MarkReferralEnteredInError,
        f.ReferralEnteredInError,
        P.RECEIVER,
        P.SENDER,
        ONLY(Status) - {S.ENTERED_IN_ERROR},
        S.ENTERED_IN_ERROR,
        "note",
    ),
    Step(A.END_FOR_WITHDRAWN_CONSENT, None, f.ReferralCancelled, P.RECEIVER, None, OPEN, S.CANCELLED),
)

STEP_OF = {step.action: step for step in STEPS}
# The commands that change a referral already there; creating one is a use case of its own.
CHANGES = {step.command: step for step in STEPS if step.command is not None and step.action is not A.REQUEST}
# Two steps may publish the same fact (a cancellation, by the sender or for withdrawn consent):
# they tell the same party, so who is told follows from the fact alone.
TOLD_OF = {step.fact: step.told for step in STEPS}
assert all(TOLD_OF[step.fact] is step.told for step in STEPS), "one fact, one party told"
