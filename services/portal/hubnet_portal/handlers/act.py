"""Take a step on a referral as the portal's partner: the command, signed by the partner's key,
and the network's answer in words a person reads."""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from pydantic import ValidationError

from hubnet_common.sdk.lifecycle import STEP_OF, Action
from hubnet_common.sdk.messages.base import Command
from hubnet_common.sdk.messages.referral_commands import CompleteReferral, OutcomeReport
from hubnet_common.sdk.messages.replies import CommandAccepted
from hubnet_portal.domain.actions import OFFERED
from hubnet_portal.domain.words import N_, NO_ANSWER, UNKNOWN_REFUSAL, refusal_words
from hubnet_portal.handlers.ports import Commands

log = structlog.get_logger(__name__)
OUTCOME_MISSING = N_("Choose the resident's main activity after the intervention.")
REASON_MISSING = N_("Choose a reason.")


@dataclass(frozen=True)
class Outcome:
    taken: bool
    words: str  # a gettext message id


@dataclass(frozen=True)
class Step:
    referral_id: str
    action: str
    version: int | None
    main_activity: str | None = None
    public_support_continues: bool | None = None
    reason_code: str | None = None


def command_of(step: Step) -> Command:
    action = Action(step.action)
    if action not in OFFERED:
        raise ValueError(f"the portal does not take the step {step.action!r}")
    command_type = STEP_OF[action].command
    assert command_type is not None
    common: dict[str, object] = {"referral_id": step.referral_id, "expected_version": step.version}
    if STEP_OF[action].needs_reason:
        common["reason_code"] = step.reason_code  # the reason's free text stays out: it would need sealing
    if command_type is CompleteReferral:
        outcome = OutcomeReport(
            main_activity=step.main_activity,
            public_support_continues=step.public_support_continues,
        )
        return CompleteReferral(**common, outcome=outcome)
    return command_type(**common)


async def take(commands: Commands, step: Step, *, staff_id: str) -> Outcome:
    try:
        command = command_of(step)
    except ValidationError:
        return Outcome(False, _missing(step.action))
    except ValueError:
        return Outcome(False, UNKNOWN_REFUSAL)
    try:
        reply = await commands.request(command)
    except TimeoutError:
        log.warning("no answer to a step", action=step.action, staff=staff_id)
        return Outcome(False, NO_ANSWER)
    if isinstance(reply, CommandAccepted):
        log.info("step taken", action=step.action, staff=staff_id, command_id=reply.command_id)
        return Outcome(True, N_("Done."))
    log.info("step refused", action=step.action, staff=staff_id, code=reply.code, command_id=reply.command_id)
    return Outcome(False, refusal_words(reply.code))


def _missing(action: str) -> str:
    if action == Action.COMPLETE:
        return OUTCOME_MISSING
    step = STEP_OF.get(action)  # type: ignore[call-overload]
    if step is not None and step.needs_reason:
        return REASON_MISSING
    return UNKNOWN_REFUSAL
