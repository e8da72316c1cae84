"""Message models, one module per topic; importing this package registers every type."""

from hubnet_common.sdk.messages import (  # noqa: F401  (imported to register their types)
    audit,
    directory,
    directory_commands,
    hubevent_commands,
    hubevent_events,
    notification_commands,
    notification_events,
    outcome_events,
    referral_commands,
    referral_events,
    replies,
)
from hubnet_common.sdk.messages.base import MESSAGE_TYPES, Command, Fact, Message

__all__ = ["MESSAGE_TYPES", "Command", "Fact", "Message"]
