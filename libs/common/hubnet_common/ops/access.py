"""Who may do what on Kafka (docs/security.md, "Kafka"): one principal per service and per partner, and
the topic and consumer-group ACLs of each, as data. `deploy/k8s` renders its Strimzi `KafkaUser`s
from this module, and a test holds the two equal.

- A **service** reads the topics it consumes (with consumer groups `<group prefix>-<service>-…`,
  see `runtime.consumer_group`) and those it reads at start-up (the referrals service its
  `referral.erasures.v1`, which no partner reads), writes the topics its outbox relay publishes to, the dead-letter
  topics (`<topic>.dlq`) of what it consumes and, when it answers commands, every partner's replies
  topic (`partner.<id>.replies.v1`, one prefixed ACL on `partner.`).
- A **partner** writes the three command topics and reads its own replies topic, the directory and
  the facts about referrals, outcomes and hub events; its own consumer groups start with
  `partner.<id>.` (the partner SDK reads its replies without a group, by assigned partitions).
- The **operator** (the `hubnet dlq` tools) reads and purges the dead-letter topics and may write
  a dead letter back to the topic it came from; it reads the audit facts (`audit.events.v1`).
- The **scaler** (KEDA) only describes the consumed topics and the services' groups, to see lag.

Every partner user has the Kafka client quotas of `QUOTAS` on each broker, so that one partner
flooding a command topic is slowed to a rate the services keep up with instead of filling the
partition; the services, the operator and the scaler have none.

What the topic layout allows and what it does not. Kafka ACLs are per topic (or topic prefix) and
cannot look at a record's key or headers:
- a partner can write only command topics, but on them it can send a command under any partner's
  name (`ce_source`): the broker enforces which topics, the message signature (Ed25519)
  enforces who. The referrals service refuses what the named partner may not do;
- a partner reads only its own replies: the services answer each command on the replies topic of
  the partner its `ce_source` names (a command from no known partner is not answered);
- the facts (`referral.events.v1`, `outcome.events.v1`, `hubevent.events.v1`) and the directory
  stay on topics shared by the network and are readable by every partner: that is the deliberate
  limit. They carry no personal data in clear (participants by pseudonymous `participant_ref`,
  contact details sealed to the receiving partner's key), so what a partner sees of others' cases
  is case metadata, not identities;
- `notification.events.v1` (delivery outcomes per staff member or webhook) is for operators and
  the notifications service, not partners.
"""

from __future__ import annotations

from dataclasses import dataclass

from hubnet_common.ops.partners import deployment_partners
from hubnet_common.sdk.topics import (
    AUDIT_EVENTS,
    DIRECTORY,
    HUB_EVENT_COMMANDS,
    HUB_EVENT_EVENTS,
    MAIN_TOPICS,
    NOTIFICATION_COMMANDS,
    OUTCOME_EVENTS,
    REFERRAL_COMMANDS,
    REFERRAL_ERASURES,
    REFERRAL_EVENTS,
    REPLIES_PREFIX,
    Topic,
    dead_letter_topic,
    facts_of,
    on_broker,
    replies_topic,
)

READ, WRITE, DESCRIBE, DELETE = "Read", "Write", "Describe", "Delete"

PARTNER_WRITES = (REFERRAL_COMMANDS, HUB_EVENT_COMMANDS, NOTIFICATION_COMMANDS)
PARTNER_READS = (DIRECTORY, REFERRAL_EVENTS, OUTCOME_EVENTS, HUB_EVENT_EVENTS)  # and its own replies


@dataclass(frozen=True)
class Service:
    name: str
    consumes: tuple[Topic, ...]  # each with a consumer group and a dead-letter topic
    produces: tuple[Topic, ...]  # facts from the outbox
    answers: bool = False  # answers commands on the partners' replies topics
    reads: tuple[Topic, ...] = ()  # read to the end at start-up, without a group or dead letters


SERVICES = (
    Service(
        "referrals",
        consumes=(REFERRAL_COMMANDS,),
        produces=(*facts_of("referrals"), REFERRAL_ERASURES, AUDIT_EVENTS),
        answers=True,
        reads=(REFERRAL_ERASURES,),  # what a restore must not undo (docs/adr/0011-custodian-rotation-and-restores.md)
    ),
    Service(
        "events",
        consumes=(HUB_EVENT_COMMANDS, DIRECTORY, REFERRAL_EVENTS),
        produces=(*facts_of("events"), AUDIT_EVENTS),
        answers=True,
    ),
    Service(
        "notifications",
        consumes=(REFERRAL_EVENTS, HUB_EVENT_EVENTS, DIRECTORY, NOTIFICATION_COMMANDS),
        produces=(*facts_of("notifications"), AUDIT_EVENTS),
        answers=True,
    ),
)


@dataclass(frozen=True)
class Quota:
    """Kafka's client quotas of one user, per broker: bytes per second it may produce and fetch,
    and the time it may take of the broker's network and I/O threads, in percent of one thread."""

    producer_byte_rate: int
    consumer_byte_rate: int
    request_percentage: int

    def configs(self) -> dict[str, int]:
        """As the broker names them (`kafka-configs --entity-type users`)."""
        return {
            "producer_byte_rate": self.producer_byte_rate,
            "consumer_byte_rate": self.consumer_byte_rate,
            "request_percentage": self.request_percentage,
        }


MIB = 1024 * 1024
# A command is about 1 KiB: the benchmarks' highest offer (1,000 commands/s from one partner) is about
# half the produce rate, and a partner reading every fact the pipeline makes (under 100/s) fetches a
# small part of its rate. The broker lets a user run ahead of its rate for about ten seconds (its
# quota window, 11 samples of a second) before it throttles.
QUOTAS = {"partner": Quota(producer_byte_rate=2 * MIB, consumer_byte_rate=4 * MIB, request_percentage=100)}


@dataclass(frozen=True)
class Acl:
    """Allow `operations` on a topic or group, by exact name or by name prefix."""

    resource: str  # "topic" | "group"
    name: str
    operations: tuple[str, ...]
    pattern: str = "literal"  # "literal" | "prefix"


@dataclass(frozen=True)
class Principal:
    user: str  # the Kafka user name: the principal is `User:<user>`
    kind: str  # "service" | "partner" | "operator" | "scaler"
    acls: tuple[Acl, ...]

    @property
    def quota(self) -> Quota | None:
        return QUOTAS.get(self.kind)


def _topics(names: list[str], operations: tuple[str, ...], prefix: str) -> list[Acl]:
    return [Acl("topic", on_broker(name, prefix), operations) for name in dict.fromkeys(names)]


def service_group_prefix(service: str, group_prefix: str = "hubnet") -> str:
    """Every consumer group of a service starts with this (`runtime.consumer_group`)."""
    return f"{group_prefix}-{service}-"


def service_principal(service: Service, *, topic_prefix: str = "", group_prefix: str = "hubnet") -> Principal:
    reads = [t.name for t in (*service.consumes, *service.reads)]
    writes = [t.name for t in service.produces] + [dead_letter_topic(t.name) for t in service.consumes]
    return Principal(
        f"hubnet-{service.name}",
        "service",
        (
            *_topics(reads, (READ, DESCRIBE), topic_prefix),
            *_topics(writes, (WRITE, DESCRIBE), topic_prefix),
            *(
                [Acl("topic", on_broker(REPLIES_PREFIX, topic_prefix), (WRITE, DESCRIBE), "prefix")]
                if service.answers
                else []
            ),
            Acl("group", service_group_prefix(service.name, group_prefix), (READ,), "prefix"),
        ),
    )


def partner_principal(partner_id: str, *, topic_prefix: str = "") -> Principal:
    if "." in partner_id:
        raise ValueError(f"a partner id has no dots (its group prefix would be ambiguous): {partner_id}")
    return Principal(
        f"partner-{partner_id}",
        "partner",
        (
            *_topics([t.name for t in PARTNER_WRITES], (WRITE, DESCRIBE), topic_prefix),
            *_topics(
                [t.name for t in PARTNER_READS] + [replies_topic(partner_id).name], (READ, DESCRIBE), topic_prefix
            ),
            Acl("group", f"partner.{partner_id}.", (READ,), "prefix"),
        ),
    )


def operator_principal(*, topic_prefix: str = "") -> Principal:
    consumed = [t.name for t in MAIN_TOPICS if t.dead_letter]
    return Principal(
        "hubnet-operator",
        "operator",
        (
            *_topics([dead_letter_topic(name) for name in consumed], (READ, DESCRIBE, DELETE), topic_prefix),
            *_topics(consumed, (WRITE, DESCRIBE), topic_prefix),  # replay
            *_topics([AUDIT_EVENTS.name], (READ, DESCRIBE), topic_prefix),
        ),
    )


def scaler_principal(*, topic_prefix: str = "", group_prefix: str = "hubnet") -> Principal:
    consumed = [t.name for s in SERVICES for t in s.consumes]
    return Principal(
        "hubnet-keda",
        "scaler",
        (
            *_topics(consumed, (DESCRIBE,), topic_prefix),
            *(Acl("group", service_group_prefix(s.name, group_prefix), (DESCRIBE,), "prefix") for s in SERVICES),
        ),
    )


def principals(
    *, topic_prefix: str = "", group_prefix: str = "hubnet", partners: tuple[str, ...] | None = None
) -> list[Principal]:
    """Every principal of the network, services first; the partners are the deployment's
    (ops/partners.py) unless given."""
    chosen = deployment_partners() if partners is None else partners
    return [
        *(service_principal(s, topic_prefix=topic_prefix, group_prefix=group_prefix) for s in SERVICES),
        *(partner_principal(p, topic_prefix=topic_prefix) for p in chosen),
        operator_principal(topic_prefix=topic_prefix),
        scaler_principal(topic_prefix=topic_prefix, group_prefix=group_prefix),
    ]


def allowed(principal: Principal, operation: str, resource: str, name: str) -> bool:
    """Would Kafka's simple authorizer let `principal` do `operation` on this topic or group?
    (Read and Write imply Describe, as in Kafka.)"""
    implied = {DESCRIBE: {DESCRIBE, READ, WRITE, DELETE}}.get(operation, {operation})
    return any(
        acl.resource == resource
        and implied & set(acl.operations)
        and (acl.name == name if acl.pattern == "literal" else name.startswith(acl.name))
        for acl in principal.acls
    )


def network_key_names() -> list[str]:
    """Every service and partner of the network, as key names."""
    return [*(f"service-{s.name}" for s in SERVICES), *(f"partner-{p}" for p in deployment_partners())]
