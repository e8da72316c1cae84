"""Refer a resident: their consent recorded (RecordConsent, the personnummer sealed to the
referrals service, which answers the resident's participant_ref), the partner's copy of their
data key fetched, contact details and need sealed under it, and the referral sent
(CreateReferral), both signed by the partner. A referral the network refuses leaves nothing
behind: the consent recorded for it is withdrawn again (docs/adr/0018-new-referral-in-the-portal.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog
from pydantic import ValidationError

from hubnet_common.sdk.data_key import DataKeyMissing
from hubnet_common.sdk.messages.base import Command
from hubnet_common.sdk.messages.referral_commands import CreateReferral, RecordConsent, WithdrawConsent
from hubnet_common.sdk.messages.replies import CommandAccepted, CommandRejected
from hubnet_common.sdk.participant import InvalidPersonalNumber, seal_personnummer
from hubnet_common.sdk.sealing import SealingError, seal_with_data_key
from hubnet_portal.domain.new_referral import PERSONNUMMER_INVALID, Draft
from hubnet_portal.domain.words import N_, NO_ANSWER, refusal_words
from hubnet_portal.handlers.ports import Commands, DataKeys

log = structlog.get_logger(__name__)
NO_KEY = N_(
    "Your organisation got no key to the resident's details: it has published no encryption key. Nothing was sent."
)
NOT_SENT = N_("Nothing was sent.")
# Which field of the form a refusal is about (by its code, or the field of the command it names).
FIELD_OF_CODE = {
    "invalid-personnummer": "personnummer",
    "resident-unproven": "personnummer",
    "consent-invalid": "consent_partners",
    "consent-missing": "consent_partners",
    "service-full": "service",
    "service-inactive": "service",
    "service-unknown": "service",
    "service-not-at-hub": "service",
    "not-sealed": "need_text",
}
FIELD_OF_COMMAND_FIELD = {
    "sealed_personnummer": "personnummer",
    "partner_ids": "consent_partners",
    "purposes": "purposes",
    "method": "method",
    "valid_until": "valid_until",
    "given_at": "valid_until",
    "service_id": "service",
    "sealed_contact": "name",
    "need": "need_text",
}


@dataclass(frozen=True)
class Answer:
    referral_id: str | None = None  # when the network accepted the referral
    problems: dict[str, str] = field(default_factory=dict)  # field -> gettext message id
    words: str | None = None  # a gettext message id about the whole form


async def refer(
    commands: Commands,
    data_keys: DataKeys,
    *,
    custodian_key: str,
    token: str,
    draft: Draft,
    personnummer: str,
    staff_id: str,
) -> Answer:
    try:
        sealed = seal_personnummer(personnummer, custodian_key)
    except InvalidPersonalNumber:
        return Answer(problems={"personnummer": PERSONNUMMER_INVALID})
    consent = RecordConsent(
        sealed_personnummer=sealed,
        partner_ids=list(draft.partner_ids),
        purposes=list(draft.purposes),
        method=draft.method,
        noted_by=staff_id,
        given_at=draft.given_at,
        valid_until=draft.valid_until,
    )
    recorded = await _sent(commands, consent, staff_id)
    if not isinstance(recorded, CommandAccepted) or not recorded.participant_ref:
        return _refused(recorded)
    try:
        key = await data_keys.data_key(token, recorded.participant_ref)
        command = CreateReferral(
            service_id=draft.service.id,
            hub_id=draft.search.hub_id,
            purpose=draft.search.need,
            participant_ref=recorded.participant_ref,
            consent_id=consent.consent_id,
            sealed_contact=seal_with_data_key(draft.contact, key),
            need=seal_with_data_key(draft.need, key),
        )
    except (DataKeyMissing, SealingError, ValidationError):
        await _withdraw(commands, consent, staff_id)
        return Answer(words=NO_KEY)
    created = await _sent(commands, command, staff_id)
    if isinstance(created, CommandAccepted):
        return Answer(referral_id=command.referral_id)
    if isinstance(created, CommandRejected):
        await _withdraw(commands, consent, staff_id)
    return _refused(created)


async def _sent(commands: Commands, command: Command, staff_id: str) -> CommandAccepted | CommandRejected | None:
    """The network's answer, None if it gave none in time."""
    kind = type(command).__name__
    try:
        reply = await commands.request(command)
    except TimeoutError:
        log.warning("no answer", command=kind, staff=staff_id, subject=command.subject())
        return None
    code = reply.code if isinstance(reply, CommandRejected) else None
    log.info("answered", command=kind, staff=staff_id, command_id=reply.command_id, refused=code)
    return reply


async def _withdraw(commands: Commands, consent: RecordConsent, staff_id: str) -> None:
    withdrawal = WithdrawConsent(consent_id=consent.consent_id, noted_by=staff_id, withdrawn_at=datetime.now(UTC))
    if not isinstance(await _sent(commands, withdrawal, staff_id), CommandAccepted):
        log.warning("a consent recorded for a refused referral stands", consent=consent.consent_id, staff=staff_id)


def _refused(reply: CommandAccepted | CommandRejected | None) -> Answer:
    if not isinstance(reply, CommandRejected):
        return Answer(words=NO_ANSWER if reply is None else NOT_SENT)
    words = refusal_words(reply.code)
    fields = {FIELD_OF_COMMAND_FIELD[e.field] for e in reply.errors if e.field in FIELD_OF_COMMAND_FIELD}
    if reply.code in FIELD_OF_CODE:
        fields.add(FIELD_OF_CODE[reply.code])
    if not fields:
        return Answer(words=words)
    return Answer(problems=dict.fromkeys(sorted(fields), words), words=NOT_SENT)
