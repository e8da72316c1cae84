"""A staff member's own settings, changed with the partner's commands on notification.commands.v1
(the portal acts as the partner's system): language and delivery (UpsertStaffMember, the rest of
the member's record sent back as the notifications service holds it), and subscriptions
(Subscribe, Unsubscribe). Each answer in words a person reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog
from pydantic import ValidationError

from hubnet_common.sdk.messages.base import Command
from hubnet_common.sdk.messages.notification_commands import Subscribe, Unsubscribe, UpsertStaffMember
from hubnet_common.sdk.messages.replies import CommandAccepted, CommandRejected
from hubnet_portal.domain.language import LANGUAGES
from hubnet_portal.domain.words import N_, NO_ANSWER
from hubnet_portal.handlers.ports import Commands

log = structlog.get_logger(__name__)
DELIVERIES = ("immediate", "digest")
SAVED = N_("Your settings are saved.")
NOT_REGISTERED = N_("Your organisation has not registered you for notifications yet.")
INVALID = N_("That choice is not one of those offered.")
SUBSCRIBED = N_("Subscribed.")
UNSUBSCRIBED = N_("Unsubscribed.")
REFUSED = {
    "not-permitted": N_("That belongs to another organisation."),
    "unknown": N_("There is no such subscription of yours."),
}
REFUSED_OTHERWISE = N_("The network refused the change.")


@dataclass(frozen=True)
class Answer:
    done: bool
    words: str  # a gettext message id
    reply: CommandAccepted | CommandRejected | None = None


async def ask(commands: Commands, command: Command, done: str, *, staff_id: str) -> Answer:
    """The command's answer in words; `done` when accepted."""
    try:
        reply = await commands.request(command)
    except TimeoutError:
        log.warning("no answer to a settings change", command=command.ce_type, staff=staff_id)
        return Answer(False, NO_ANSWER)
    if isinstance(reply, CommandAccepted):
        log.info("settings changed", command=command.ce_type, staff=staff_id, command_id=reply.command_id)
        return Answer(True, done, reply)
    log.info("settings change refused", command=command.ce_type, staff=staff_id, code=reply.code)
    return Answer(False, REFUSED.get(reply.code, REFUSED_OTHERWISE), reply)


async def change_preferences(
    commands: Commands, record: dict[str, Any] | None, *, language: str | None, delivery: str | None, staff_id: str
) -> Answer:
    if record is None:
        return Answer(False, NOT_REGISTERED)
    if language not in LANGUAGES or delivery not in DELIVERIES:
        return Answer(False, INVALID)
    command = UpsertStaffMember(
        staff_id=staff_id,
        name=record["name"],
        email=record["email"],
        hubs=record["hubs"],
        roles=record["roles"],
        language=language,  # one of LANGUAGES, as checked
        delivery=delivery,  # one of DELIVERIES, as checked
    )
    return await ask(commands, command, SAVED, staff_id=staff_id)


async def subscribe(commands: Commands, *, kind: str | None, hub_id: str | None, staff_id: str) -> Answer:
    try:
        command = Subscribe(staff_id=staff_id, kinds=[kind or ""], hub_id=hub_id or None)
    except ValidationError:
        return Answer(False, INVALID)
    return await ask(commands, command, SUBSCRIBED, staff_id=staff_id)


async def unsubscribe(commands: Commands, *, subscription_id: str | None, staff_id: str) -> Answer:
    try:
        command = Unsubscribe(subscription_id=subscription_id or "", staff_id=staff_id)
    except ValidationError:
        return Answer(False, INVALID)
    return await ask(commands, command, UNSUBSCRIBED, staff_id=staff_id)
