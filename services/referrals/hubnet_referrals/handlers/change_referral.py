"""Every lifecycle command after creation: acknowledge, accept, reject, start, hold, resume, fail,
complete, cancel, reopen, mark entered-in-error. The domain decides; this loads, saves, moves the
SLA clocks and publishes the fact (and, on completion, the outcome)."""

from hubnet_common.envelope import Envelope, partner_of
from hubnet_common.messages import referral_commands as c

from hubnet_referrals.adapters.uow import ReferralsUnitOfWork
from hubnet_referrals.domain.referral import Action, Outcome, ReferralUnknown
from hubnet_referrals.domain.sla import SlaClock
from hubnet_referrals.handlers.facts import fact_of, outcome_of

ACTION_OF = {
    c.AcknowledgeReferral: Action.ACKNOWLEDGE,
    c.AcceptReferral: Action.ACCEPT,
    c.RejectReferral: Action.REJECT,
    c.StartReferral: Action.START,
    c.HoldReferral: Action.HOLD,
    c.ResumeReferral: Action.RESUME,
    c.FailReferral: Action.FAIL,
    c.CompleteReferral: Action.COMPLETE,
    c.CancelReferral: Action.CANCEL,
    c.ReopenReferral: Action.REOPEN,
    c.MarkReferralEnteredInError: Action.MARK_ENTERED_IN_ERROR,
}


async def change_referral(command, envelope: Envelope, uow: ReferralsUnitOfWork) -> None:
    referral = await uow.referrals.get(command.referral_id, for_update=True)
    if referral is None:
        raise ReferralUnknown(f"there is no referral {command.referral_id}")
    outcome = getattr(command, "outcome", None)
    transition = referral.apply(
        ACTION_OF[type(command)],
        actor=partner_of(envelope.source) or envelope.source,
        at=envelope.time,
        expected_version=command.expected_version,
        reason_code=getattr(command, "reason_code", None),
        reason=getattr(command, "reason", ""),
        note=getattr(command, "note", ""),
        outcome=Outcome(outcome.main_activity, outcome.public_support_continues, outcome.note) if outcome else None,
    )
    await uow.referrals.save(referral)
    extra = {}
    await uow.sla.stop(referral.id, transition.at)
    if transition.action is Action.ACKNOWLEDGE:
        service = await uow.directory.service(referral.service_id)
        clock = SlaClock.start(referral.id, "answer", service.answer_within_days, transition.at)
        await uow.sla.start(clock)
        extra["answer_due_at"] = clock.due_at
    uow.emit(fact_of(referral, transition, **extra), caused_by=envelope)
    if transition.outcome is not None:
        uow.emit(outcome_of(referral, transition), caused_by=envelope)


HANDLERS = {command: change_referral for command in ACTION_OF}
