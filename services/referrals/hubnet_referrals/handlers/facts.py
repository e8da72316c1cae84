"""The fact each referral transition publishes (every transition emits one fact)."""

from hubnet_common.messages import referral_events as facts
from hubnet_common.messages.outcome_events import OutcomeRecorded

from hubnet_referrals.domain.referral import Action, Referral, Transition

FACT_OF = {
    Action.ACKNOWLEDGE: facts.ReferralReceived,
    Action.ACCEPT: facts.ReferralAccepted,
    Action.REJECT: facts.ReferralRejected,
    Action.START: facts.ReferralStarted,
    Action.HOLD: facts.ReferralPutOnHold,
    Action.RESUME: facts.ReferralResumed,
    Action.FAIL: facts.ReferralFailed,
    Action.COMPLETE: facts.ReferralCompleted,
    Action.CANCEL: facts.ReferralCancelled,
    Action.END_FOR_WITHDRAWN_CONSENT: facts.ReferralCancelled,
    Action.REOPEN: facts.ReferralReopened,
    Action.MARK_ENTERED_IN_ERROR: facts.ReferralEnteredInError,
}


def common_fields(referral: Referral, transition: Transition) -> dict:
    return dict(
        referral_id=referral.id, version=transition.version, status=transition.status,
        sender_partner_id=referral.sender_partner_id, receiver_partner_id=referral.receiver_partner_id,
        service_id=referral.service_id, hub_id=referral.hub_id, actor_partner_id=transition.actor_partner_id,
        at=transition.at,
    )


def fact_of(referral: Referral, transition: Transition, **extra) -> facts.Fact:
    model = FACT_OF[transition.action]
    details = {
        "reason_code": transition.reason_code, "reason": transition.reason, "note": transition.note,
        **({"main_activity": transition.outcome.main_activity,
            "public_support_continues": transition.outcome.public_support_continues} if transition.outcome else {}),
        **extra,
    }
    wanted = {k: v for k, v in details.items() if k in model.model_fields and v is not None}
    return model(**common_fields(referral, transition), **wanted)


def outcome_of(referral: Referral, transition: Transition) -> OutcomeRecorded:
    return OutcomeRecorded(
        referral_id=referral.id, referral_version=transition.version, hub_id=referral.hub_id,
        service_id=referral.service_id, sender_partner_id=referral.sender_partner_id,
        receiver_partner_id=referral.receiver_partner_id, main_activity=transition.outcome.main_activity,
        public_support_continues=transition.outcome.public_support_continues, requested_at=referral.requested_at,
        completed_at=transition.at,
    )
