"""A resident's request to be forgotten, taken by a staff member from the resident's referral page
(EraseParticipant; docs/adr/0006-crypto-shredding.md). The resident's personnummer, which the
staff member types in, is sealed to the referrals service at once and goes nowhere else; the
referral's `participant_ref` goes with it, so a number that is not this resident's erases nobody
(the service refuses it). The answer in plain words."""

from __future__ import annotations

import structlog
from pydantic import ValidationError

from hubnet_common.sdk.messages.referral_commands import EraseParticipant
from hubnet_common.sdk.participant import InvalidPersonalNumber, seal_personnummer
from hubnet_portal.domain.words import N_
from hubnet_portal.handlers.ports import Commands
from hubnet_portal.handlers.settings import Answer, ask

log = structlog.get_logger(__name__)
ERASED = N_(
    "The resident is forgotten. Their data key is destroyed, so no organisation can open their contact "
    "details or need any more; their open referrals have ended. What stays holds no name: statuses and history."
)
NOT_A_NUMBER = N_("That is not a valid personnummer or samordningsnummer. Nothing was sent.")
REFUSED = {
    "not-permitted": N_(
        "Your organisation holds no consent of this resident, so it may not ask to erase them. Nothing was erased."
    ),
    "resident-unproven": N_("That personnummer is not this resident's. Nothing was erased."),
    "invalid-personnummer": N_("The network could not read the personnummer. Nothing was erased."),
}
REFUSED_OTHERWISE = N_("The network refused the erasure. Nothing was erased.")


async def erase(
    commands: Commands, custodian_key: str, *, participant_ref: str, personnummer: str | None, staff_id: str
) -> Answer:
    try:
        sealed = seal_personnummer(personnummer or "", custodian_key)
    except InvalidPersonalNumber:
        return Answer(False, NOT_A_NUMBER)
    try:
        command = EraseParticipant(sealed_personnummer=sealed, participant_ref=participant_ref, noted_by=staff_id)
    except ValidationError:
        return Answer(False, REFUSED_OTHERWISE)
    answer = await ask(commands, command, ERASED, staff_id=staff_id)
    code = getattr(answer.reply, "code", None)
    if answer.done or code is None:
        return answer
    return Answer(False, REFUSED.get(code, REFUSED_OTHERWISE), answer.reply)
