"""The partner's webhook endpoints, for its own system to be told of facts (RegisterWebhook,
RemoveWebhook). The notifications service makes each endpoint's secret and answers with it sealed
to the partner's X25519 key; the portal opens it with the partner's private key for that one page
and never keeps it (docs/adr/0008-webhook-secrets.md): it is shown once."""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from pydantic import ValidationError

from hubnet_common.sdk.messages.notification_commands import RegisterWebhook, RemoveWebhook
from hubnet_common.sdk.sealing import SealingError
from hubnet_portal.domain.words import N_
from hubnet_portal.handlers.ports import Commands, PartnerKeys
from hubnet_portal.handlers.settings import INVALID, REFUSED, Answer, ask

log = structlog.get_logger(__name__)
REGISTERED = N_("The webhook is registered. Copy its secret now: it is shown only this once.")
REMOVED = N_("The webhook is removed.")
NOT_OPENED = N_("The webhook is registered, but its secret could not be opened with your organisation's key.")
WEBHOOK_REFUSED = {
    **REFUSED,
    "unknown": N_("There is no such webhook."),
    "address-not-allowed": N_("That address is not allowed: it must be https and not in a private network."),
    "no-encryption-key": N_("Your organisation has published no encryption key to send the secret to."),
}


@dataclass(frozen=True)
class Registered:
    answer: Answer
    secret: str | None = None  # for this one page only


async def register(
    commands: Commands, keys: PartnerKeys, *, webhook_id: str | None, url: str | None, kind: str | None, staff_id: str
) -> Registered:
    try:
        command = RegisterWebhook(webhook_id=webhook_id or "", url=url or "", kinds=[kind or ""])
    except ValidationError:
        return Registered(Answer(False, INVALID))
    answer = _worded(await ask(commands, command, REGISTERED, staff_id=staff_id))
    sealed = getattr(answer.reply, "sealed_secret", None)
    if not answer.done or not sealed:
        return Registered(answer)
    try:
        return Registered(answer, keys.open_secret(sealed))
    except SealingError:
        log.warning("webhook secret not opened", webhook=webhook_id, staff=staff_id)
        return Registered(Answer(False, NOT_OPENED))


async def remove(commands: Commands, *, webhook_id: str | None, staff_id: str) -> Answer:
    try:
        command = RemoveWebhook(webhook_id=webhook_id or "")
    except ValidationError:
        return Answer(False, INVALID)
    return _worded(await ask(commands, command, REMOVED, staff_id=staff_id))


def _worded(answer: Answer) -> Answer:
    code = getattr(answer.reply, "code", None)
    if answer.done or code is None:
        return answer
    return Answer(False, WEBHOOK_REFUSED.get(code, answer.words), answer.reply)
