"""Every answered command is kept in the audit log: who (the sending partner), what (the command),
to which referral, when, and whether it was accepted or refused (with the refusal code)."""

from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.identity import partner_of
from hubnet_referrals.handlers.ports import UnitOfWork


async def record_answer(uow: UnitOfWork, envelope: Envelope, aggregate_id: str, outcome: str, code: str | None) -> None:
    await uow.audit.append(
        aggregate_id=aggregate_id,
        actor=partner_of(envelope.source) or envelope.source,
        command_type=envelope.type,
        command_id=envelope.id,
        sent_at=envelope.time,
        outcome=outcome,
        code=code,
    )
