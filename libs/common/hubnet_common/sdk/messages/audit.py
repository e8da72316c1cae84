"""Audit facts on `audit.events.v1`: what a service refused to trust (docs/security.md). For operators;
no service consumes them."""

from hubnet_common.sdk.messages.base import Fact

TOPIC = "audit.events.v1"


class MessageRejected(Fact):
    """A record that failed signature verification: dead-lettered, never processed."""

    ce_type = "se.hubnet.message.rejected.v1"
    topic = TOPIC

    topic_name: str  # where it was read, with its partition and offset
    partition: int
    offset: int
    consumer: str  # the consumer group that refused it
    code: str  # unsigned, unknown-key, bad-signature, source-mismatch, key-not-valid, replay
    reason: str
    claimed_source: str  # the ce_source it claimed: not proven
    claimed_type: str
    claimed_id: str

    def subject(self) -> str:
        return f"{self.topic_name}/{self.partition}/{self.offset}"
