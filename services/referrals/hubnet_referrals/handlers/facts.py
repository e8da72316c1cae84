"""The fact a referral transition publishes (every transition emits one fact; which one is in
hubnet_common/sdk/lifecycle.py)."""

from hubnet_common.sdk.lifecycle import STEP_OF
from hubnet_common.sdk.messages import referral_events as facts
from hubnet_common.sdk.messages.outcome_events import OutcomeRecorded
from hubnet_referrals.domain.referral import Referral, Transition


def common_fields(referral: Referral, transition: Transition) -> dict:
    return dict(
        referral_id=referral.id,
        version=transition.version,
        status=transition.status,
        sender_partner_id=referral.sender_partner_id,
        receiver_partner_id=referral.receiver_partner_id,
        service_id=referral.service_id,
        hub_id=referral.hub_id,
        actor_partner_id=transition.actor_partner_id,
        at=transition.at,
    )


def fact_of(referral: Referral, transition: Transition, **extra) -> facts.Fact:
    model = STEP_OF[transition.action].fact
    details = {
        "reason_code": transition.reason_code,
        "reason": transition.reason,
        "note": transition.note,
        **(
            {
                "main_activity": transition.outcome.main_activity,
                "public_support_continues": transition.outcome.public_support_continues,
            }
            if transition.outcome
            else {}
        ),
        **extra,
    }
    wanted = {k: v for k, v in details.items() if k in model.model_fields and v is not None}
    return model(**common_fields(referral, transition), **wanted)


def outcome_of(referral: Referral, transition: Transition) -> OutcomeRecorded:
    outcome = transition.outcome
    if outcome is None:
        raise ValueError(f"transition {transition.version} of {referral.id} records no outcome")
    return OutcomeRecorded(
        referral_id=referral.id,
        referral_version=transition.version,
        hub_id=referral.hub_id,
        service_id=referral.service_id,
        sender_partner_id=referral.sender_partner_id,
        receiver_partner_id=referral.receiver_partner_id,
        main_activity=outcome.main_activity,
        public_support_continues=outcome.public_support_continues,
        requested_at=referral.requested_at,
        completed_at=transition.at,
    )
