"""A hub's host at work on its hub events, as the portal's partner: schedule one, register a
resident, cancel a place, record who came and how many walked in. Each is a command signed by the
partner's key; the answer comes back in words a person reads.

A resident is known to the network by `participant_ref`, which only the referrals service can make
(docs/adr/0007-custodian-pseudonyms.md): the portal sends the resident's personnummer sealed to
that service in a RecordConsent (the resident's consent, noted by the staff member, to this
partner keeping the registration), and registers the reference the answer carries. The number is
never kept, logged or put in an address; only the reference goes on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from pydantic import ValidationError

from hubnet_common.sdk.messages import hubevent_commands as c
from hubnet_common.sdk.messages.base import Command
from hubnet_common.sdk.messages.referral_commands import RecordConsent
from hubnet_common.sdk.messages.replies import CommandAccepted
from hubnet_common.sdk.messages.vocabulary import ConsentMethod, Purpose
from hubnet_common.sdk.participant import InvalidPersonalNumber, seal_personnummer
from hubnet_portal.domain import hub_events as words
from hubnet_portal.domain.hub_events import Schedule, consent_until
from hubnet_portal.domain.words import N_, NO_ANSWER, UNKNOWN_REFUSAL
from hubnet_portal.handlers.ports import Commands

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Done:
    taken: bool
    words: str  # a gettext message id
    hub_event_id: str | None = None
    participant_ref: str | None = None


async def schedule(commands: Commands, form: Schedule, *, staff_id: str) -> Done:
    try:
        command = c.ScheduleHubEvent(**form.command_fields())
    except (ValidationError, ValueError):
        return Done(False, words.FORM_INVALID)
    done = await _send(commands, command, "hub event scheduled", staff_id)
    return Done(done.taken, N_("The hub event is on the calendar.") if done.taken else done.words, command.hub_event_id)


async def register(
    commands: Commands,
    event: dict[str, Any],
    starts_at: datetime,
    personnummer: str,
    *,
    consent_noted: bool,
    partner: str,
    custodian_key: str,
    staff_id: str,
) -> Done:
    if not consent_noted:
        return Done(False, words.CONSENT_MISSING)
    try:
        sealed = seal_personnummer(personnummer, custodian_key)
    except InvalidPersonalNumber:
        return Done(False, words.NUMBER_INVALID)  # and never the number, nor why it failed
    now = datetime.now(UTC)
    consent = RecordConsent(
        sealed_personnummer=sealed,
        partner_ids=[partner],
        purposes=[Purpose.GUIDANCE],
        method=ConsentMethod.VERBAL,
        noted_by=staff_id,
        given_at=now - timedelta(seconds=1),
        valid_until=consent_until(event),
    )
    recorded = await _send(commands, consent, "consent noted for a hub event", staff_id)
    if not recorded.taken or recorded.participant_ref is None:
        return recorded
    command = c.RegisterForHubEvent(
        hub_event_id=event["id"], occurrence_starts_at=starts_at, participant_ref=recorded.participant_ref
    )
    done = await _send(commands, command, "resident registered for a hub event", staff_id)
    said = N_("The resident is registered.") if done.taken else done.words
    return Done(done.taken, said, event["id"], recorded.participant_ref if done.taken else None)


async def cancel(
    commands: Commands, hub_event_id: str, starts_at: datetime, participant_ref: str, *, staff_id: str
) -> Done:
    command = c.CancelRegistration(
        hub_event_id=hub_event_id, occurrence_starts_at=starts_at, participant_ref=participant_ref
    )
    done = await _send(commands, command, "registration cancelled", staff_id)
    return Done(done.taken, N_("The place is cancelled.") if done.taken else done.words, hub_event_id)


async def record_attendance(
    commands: Commands,
    hub_event_id: str,
    starts_at: datetime,
    attended: list[str],
    no_shows: list[str],
    walk_ins: int,
    *,
    staff_id: str,
) -> Done:
    try:
        command = c.RecordAttendance(
            hub_event_id=hub_event_id,
            occurrence_starts_at=starts_at,
            attended=attended,
            no_shows=no_shows,
            walk_ins=walk_ins,
        )
    except ValidationError:
        return Done(False, words.FORM_INVALID)
    done = await _send(commands, command, "attendance recorded", staff_id)
    return Done(done.taken, N_("Attendance is recorded.") if done.taken else done.words, hub_event_id)


async def _send(commands: Commands, command: Command, what: str, staff_id: str) -> Done:
    try:
        reply = await commands.request(command)
    except TimeoutError:
        log.warning("no answer", command_type=command.ce_type, staff=staff_id)
        return Done(False, NO_ANSWER)
    if isinstance(reply, CommandAccepted):
        log.info(what, staff=staff_id, command_id=reply.command_id, aggregate_id=reply.aggregate_id)
        return Done(True, N_("Done."), participant_ref=reply.participant_ref)
    log.info("refused", command_type=command.ce_type, staff=staff_id, code=reply.code, command_id=reply.command_id)
    return Done(False, words.refusal_words(reply.code, UNKNOWN_REFUSAL))
