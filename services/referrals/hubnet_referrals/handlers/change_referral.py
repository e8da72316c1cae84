"""Every lifecycle command after creation (the steps of hubnet_common/sdk/lifecycle.py). The domain
decides; this loads, saves, moves the SLA clocks and publishes the fact (and, on completion, the
outcome)."""

from functools import partial

from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.identity import partner_of
from hubnet_common.sdk.lifecycle import CHANGES
from hubnet_common.sdk.messages.base import Message
from hubnet_common.service.processing import Handler
from hubnet_referrals.domain.referral import Action, Outcome, ServiceUnknown
from hubnet_referrals.domain.sla import SlaClock
from hubnet_referrals.handlers import load
from hubnet_referrals.handlers.facts import fact_of, outcome_of
from hubnet_referrals.handlers.ports import KeyCustodian, UnitOfWork
from hubnet_referrals.handlers.sealed import check_sealed


async def change_referral(command, envelope: Envelope, uow: UnitOfWork, *, custodian: KeyCustodian) -> None:
    referral = await load.referral(uow, command.referral_id, for_update=True)
    outcome = getattr(command, "outcome", None)
    transition = referral.apply(
        CHANGES[type(command)].action,
        actor=partner_of(envelope.source) or envelope.source,
        at=envelope.time,
        expected_version=command.expected_version,
        reason_code=getattr(command, "reason_code", None),
        reason=getattr(command, "reason", ""),
        note=getattr(command, "note", ""),
        outcome=Outcome(outcome.main_activity, outcome.public_support_continues, outcome.note) if outcome else None,
        noted_by=command.noted_by,
    )
    sealed = {"reason": getattr(command, "reason", ""), "note": getattr(command, "note", "")}
    await check_sealed(uow, custodian, referral.participant_ref, sealed | {"outcome.note": outcome and outcome.note})
    await uow.referrals.save(referral)
    extra: dict[str, object] = {}
    await uow.sla.stop(referral.id, transition.at)
    if transition.action is Action.ACKNOWLEDGE:
        service = await uow.directory.service(referral.service_id)
        if service is None:  # a referral's service stays in the directory (a foreign key)
            raise ServiceUnknown(f"there is no service {referral.service_id!r} in the directory")
        clock = SlaClock.start(referral.id, "answer", service.answer_within_days, transition.at)
        await uow.sla.start(clock)
        extra["answer_due_at"] = clock.due_at
    uow.emit(fact_of(referral, transition, **extra), caused_by=envelope)
    if transition.outcome is not None:
        uow.emit(outcome_of(referral, transition), caused_by=envelope)


def handlers(custodian: KeyCustodian) -> dict[type[Message], Handler]:
    """Every lifecycle command, to change_referral with the custodian that opens sealed fields."""
    return {command: partial(change_referral, custodian=custodian) for command in CHANGES}
