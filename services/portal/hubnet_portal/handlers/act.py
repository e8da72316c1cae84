"""Take a step on a referral as the portal's partner: the command, signed by the partner's key and
naming the staff member who took it (`noted_by`), and the network's answer in words a person reads.
A step's note (why a referral is reopened) may describe the resident: it goes sealed under the
resident's data key, from the partner's copy, as the staff member asks for it."""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from pydantic import ValidationError

from hubnet_common.sdk.data_key import DataKeyMissing
from hubnet_common.sdk.lifecycle import STEP_OF, Action
from hubnet_common.sdk.messages.base import Command
from hubnet_common.sdk.messages.referral_commands import CompleteReferral, OutcomeReport
from hubnet_common.sdk.messages.replies import CommandAccepted
from hubnet_common.sdk.sealing import seal_with_data_key
from hubnet_portal.domain.actions import OFFERED
from hubnet_portal.domain.words import N_, NO_ANSWER, UNKNOWN_REFUSAL, refusal_words
from hubnet_portal.handlers.open_resident import NO_COPY
from hubnet_portal.handlers.ports import Commands, DataKeys

log = structlog.get_logger(__name__)
OUTCOME_MISSING = N_("Choose the resident's main activity after the intervention.")
REASON_MISSING = N_("Choose a reason.")
NOTE_MISSING = N_("Write why.")


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
    note: str = ""  # plain text as staff wrote it; sent only sealed


@dataclass(frozen=True)
class Sealer:
    """Seals a step's note for the referral's resident, with the partner's copy of their data key."""

    data_keys: DataKeys
    token: str
    participant_ref: str

    async def seal(self, text: str) -> str:
        return seal_with_data_key(text, await self.data_keys.data_key(self.token, self.participant_ref))


def needs_note(action: str) -> bool:
    step = STEP_OF.get(action)  # type: ignore[call-overload]
    return step is not None and step.needs_note


def command_of(step: Step, *, staff_id: str, sealed_note: str = "") -> Command:
    action = Action(step.action)
    if action not in OFFERED:
        raise ValueError(f"the portal does not take the step {step.action!r}")
    command_type = STEP_OF[action].command
    assert command_type is not None
    common: dict[str, object] = {
        "referral_id": step.referral_id,
        "expected_version": step.version,
        "noted_by": staff_id,
    }
    if STEP_OF[action].needs_note:
        common["note"] = sealed_note
    if STEP_OF[action].needs_reason:
        common["reason_code"] = step.reason_code  # the reason's free text stays out: it would need sealing
    if command_type is CompleteReferral:
        outcome = OutcomeReport(
            main_activity=step.main_activity,
            public_support_continues=step.public_support_continues,
        )
        return CompleteReferral(**common, outcome=outcome)
    return command_type(**common)


async def take(commands: Commands, step: Step, *, staff_id: str, sealer: Sealer | None = None) -> Outcome:
    sealed_note = ""
    if needs_note(step.action) and step.action in OFFERED:
        if not step.note.strip() or sealer is None:
            return Outcome(False, NOTE_MISSING)
        try:
            sealed_note = await sealer.seal(step.note.strip())
        except DataKeyMissing:
            return Outcome(False, NO_COPY)
    try:
        command = command_of(step, staff_id=staff_id, sealed_note=sealed_note)
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
