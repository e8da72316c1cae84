"""Answers to commands, on the replies topic of the partner that sent them (`partner.<id>.replies.v1`).

A partner finds the answer to its command by `command_id` (the command's `ce_id`); `recipient` is
the `ce_source` of the command.
"""

from hubnet_common.sdk.errors import FieldError
from hubnet_common.sdk.messages.base import Fact


class CommandAccepted(Fact):
    ce_type = "se.hubnet.command.accepted.v1"
    topic = "partner.*.replies.v1"

    command_id: str
    command_type: str
    recipient: str
    aggregate_id: str
    # The resident's reference, to the sender of a command that proved it knows them
    # (RecordConsent, EraseParticipant): only the referrals service can compute it.
    participant_ref: str | None = None
    # What the command made for its sender alone, sealed to the sender's X25519 key (RegisterWebhook:
    # the endpoint's secret, hubnet_common.sdk.webhook_signature.open_secret).
    sealed_secret: str | None = None

    def subject(self) -> str:
        return self.aggregate_id


class CommandRejected(Fact):
    ce_type = "se.hubnet.command.rejected.v1"
    topic = "partner.*.replies.v1"

    command_id: str
    command_type: str
    recipient: str
    aggregate_id: str
    code: str
    reason: str
    errors: list[FieldError] = []

    def subject(self) -> str:
        return self.aggregate_id
