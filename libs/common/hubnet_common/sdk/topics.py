"""Every Kafka topic of the network, with the settings `hubnet admin topics` creates it with (docs/architecture.md);
the replies topic of each partner comes with the partner (`replies_topic`, ops/partners.py)."""

from dataclasses import dataclass, field

DAY_MS = 24 * 60 * 60 * 1000
DLQ_MAX_RECORD_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class Topic:
    name: str
    partitions: int = 3
    cleanup_policy: str = "delete"
    retention_ms: int = 7 * DAY_MS
    dead_letter: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def configs(self) -> dict[str, str]:
        return {"cleanup.policy": self.cleanup_policy, "retention.ms": str(self.retention_ms), **self.extra}

    @property
    def dlq(self) -> "Topic":
        # Room for any record of the source topic (at most the broker's 1 MiB) plus the dlq_ headers.
        return Topic(
            f"{self.name}.dlq",
            partitions=1,
            retention_ms=30 * DAY_MS,
            extra={"max.message.bytes": str(DLQ_MAX_RECORD_BYTES)},
        )


FACTS_RETENTION_MS = 10 * 365 * DAY_MS  # facts are the network's memory: kept for ten years
REPLIES_RETENTION_MS = 7 * DAY_MS
COMMANDS_RETENTION_MS = 7 * DAY_MS
AUDIT_RETENTION_MS = 2 * 365 * DAY_MS
# The broker stamps a command with the time it took it, which the sender cannot set: a command's
# signed ce_time must lie near it, so an old command sent again is refused (docs/security.md, "Who sent it").
BROKER_TIME = {"message.timestamp.type": "LogAppendTime"}

REFERRAL_COMMANDS = Topic(
    "referral.commands.v1", retention_ms=COMMANDS_RETENTION_MS, dead_letter=True, extra=BROKER_TIME
)
REFERRAL_EVENTS = Topic("referral.events.v1", retention_ms=FACTS_RETENTION_MS, dead_letter=True)
OUTCOME_EVENTS = Topic("outcome.events.v1", retention_ms=FACTS_RETENTION_MS, dead_letter=True)
# Hourly segments so the log cleaner can compact the directory down to its latest entries.
DIRECTORY = Topic(
    "directory.v1",
    cleanup_policy="compact",
    retention_ms=-1,
    dead_letter=True,
    extra={"segment.ms": str(60 * 60 * 1000), "min.cleanable.dirty.ratio": "0.1"},
)
# What a restore of the referrals database must not undo: one record per erased resident, the time
# of the last data key of theirs destroyed (docs/adr/0011-custodian-rotation-and-restores.md).
# Kept forever and compacted to the latest record per resident; read by the referrals service
# alone, at start-up.
REFERRAL_ERASURES = Topic(
    "referral.erasures.v1",
    cleanup_policy="compact",
    retention_ms=-1,
    extra={"segment.ms": str(24 * 60 * 60 * 1000), "min.cleanable.dirty.ratio": "0.1"},
)
HUB_EVENT_COMMANDS = Topic(
    "hubevent.commands.v1", retention_ms=COMMANDS_RETENTION_MS, dead_letter=True, extra=BROKER_TIME
)
HUB_EVENT_EVENTS = Topic("hubevent.events.v1", retention_ms=FACTS_RETENTION_MS, dead_letter=True)
NOTIFICATION_COMMANDS = Topic(
    "notification.commands.v1", retention_ms=COMMANDS_RETENTION_MS, dead_letter=True, extra=BROKER_TIME
)
NOTIFICATION_EVENTS = Topic("notification.events.v1", retention_ms=FACTS_RETENTION_MS)
AUDIT_EVENTS = Topic("audit.events.v1", retention_ms=AUDIT_RETENTION_MS)

# Who announces the facts of each topic: only that service's key may sign them (sdk/trust.py). The
# audit topic and the replies topics are written by every service, each about its own commands.
FACT_OWNERS: dict[str, str] = {
    REFERRAL_EVENTS.name: "referrals",
    OUTCOME_EVENTS.name: "referrals",
    DIRECTORY.name: "referrals",
    HUB_EVENT_EVENTS.name: "events",
    NOTIFICATION_EVENTS.name: "notifications",
}


def facts_of(service: str) -> tuple[Topic, ...]:
    """The fact topics `service` announces on."""
    return tuple(
        t
        for t in (REFERRAL_EVENTS, OUTCOME_EVENTS, DIRECTORY, HUB_EVENT_EVENTS, NOTIFICATION_EVENTS)
        if FACT_OWNERS[t.name] == service
    )


# Each partner has a replies topic of its own, with the answers to all its commands (referral, hub
# event and notification ones), so that a Kafka ACL can keep it from reading another's answers.
# Which partners there are is data, not code (ops/partners.py, the directory).
REPLIES_PREFIX = "partner."


def replies_topic(partner_id: str) -> Topic:
    return Topic(f"{REPLIES_PREFIX}{partner_id}.replies.v1", retention_ms=REPLIES_RETENTION_MS)


# The topics of the network itself; the partners' replies topics come with the partners.
MAIN_TOPICS = (
    REFERRAL_COMMANDS,
    REFERRAL_EVENTS,
    OUTCOME_EVENTS,
    DIRECTORY,
    REFERRAL_ERASURES,
    HUB_EVENT_COMMANDS,
    HUB_EVENT_EVENTS,
    NOTIFICATION_COMMANDS,
    NOTIFICATION_EVENTS,
    AUDIT_EVENTS,
)
ALL_TOPICS = MAIN_TOPICS + tuple(t.dlq for t in MAIN_TOPICS if t.dead_letter)


def dead_letter_topic(name: str) -> str:
    return f"{name}.dlq"


def on_broker(name: str, prefix: str) -> str:
    """The topic's name on the broker in an environment with that topic prefix."""
    return f"{prefix}{name}"
