"""The ACL matrix of `hubnet_common.ops.access` against the code it describes: the partners of the
directory, the topics each service really consumes, and what a partner may and may not do."""

import json
from pathlib import Path

import pytest

from hubnet_common.ops import access
from hubnet_common.ops.access import DESCRIBE, READ, WRITE, allowed, partner_principal, principals
from hubnet_common.ops.partners import deployment_partners, deployment_topics
from hubnet_common.sdk.topics import MAIN_TOPICS, dead_letter_topic, replies_topic
from hubnet_common.service.runtime import consumer_group

NETWORK = Path(__import__("hubnet_referrals").__file__).parent / "seed" / "network.json"
BY_USER = {p.user: p for p in principals()}
PARTNERS = deployment_partners()
ALL_TOPICS = deployment_topics()
REPLIES_TOPICS = tuple(replies_topic(p) for p in PARTNERS)


def test_one_principal_per_partner_of_the_directory():
    partners = [p["id"] for p in json.loads(NETWORK.read_text(encoding="utf-8"))["partners"]]
    assert sorted(PARTNERS) == sorted(partners)
    assert sorted(u for u, p in BY_USER.items() if p.kind == "partner") == sorted(f"partner-{p}" for p in partners)


@pytest.mark.parametrize("service", access.SERVICES, ids=lambda s: s.name)
def test_a_service_reads_exactly_what_its_bootstrap_consumes(service):
    bootstrap = __import__(f"hubnet_{service.name}.bootstrap", fromlist=["spec"])
    consumed = {route.topic for route in bootstrap.spec().routes}
    assert {t.name for t in service.consumes} == consumed
    principal = BY_USER[f"hubnet-{service.name}"]
    readable = {t.name for t in ALL_TOPICS if allowed(principal, READ, "topic", t.name)}
    assert readable == consumed | {t.name for t in service.reads}  # those read at start-up, without a group
    for topic in consumed:
        assert allowed(principal, READ, "group", consumer_group("hubnet", service.name, topic))
        assert allowed(principal, WRITE, "topic", dead_letter_topic(topic)), "dead letters need a topic"
        assert dead_letter_topic(topic) in {t.name for t in ALL_TOPICS}
    answering = any(route.answers for route in bootstrap.spec().routes)
    assert service.answers == answering
    assert all(allowed(principal, WRITE, "topic", t.name) == answering for t in REPLIES_TOPICS)


def test_only_the_referrals_service_reads_and_writes_the_erasures_it_must_not_forget():
    # hubnet_referrals/adapters/erasures.py reads it at start-up (docs/adr/0011-custodian-rotation-and-restores.md)
    assert [t.name for s in access.SERVICES for t in s.reads] == ["referral.erasures.v1"]
    for user, principal in BY_USER.items():
        for operation in (READ, WRITE):
            assert allowed(principal, operation, "topic", "referral.erasures.v1") == (user == "hubnet-referrals")


def test_services_write_only_their_own_facts():
    referrals, events = BY_USER["hubnet-referrals"], BY_USER["hubnet-events"]
    assert allowed(referrals, WRITE, "topic", "referral.events.v1")
    assert allowed(referrals, WRITE, "topic", "directory.v1")
    assert not allowed(referrals, WRITE, "topic", "hubevent.events.v1")
    assert not allowed(events, WRITE, "topic", "referral.events.v1")
    assert not allowed(events, READ, "group", consumer_group("hubnet", "referrals", "referral.commands.v1"))


@pytest.mark.parametrize("partner", PARTNERS)
def test_a_partner_writes_commands_and_reads_replies_and_facts_only(partner):
    p = BY_USER[f"partner-{partner}"]
    writable = {t.name for t in ALL_TOPICS if allowed(p, WRITE, "topic", t.name)}
    readable = {t.name for t in ALL_TOPICS if allowed(p, READ, "topic", t.name)}
    assert writable == {"referral.commands.v1", "hubevent.commands.v1", "notification.commands.v1"}
    assert readable == {
        f"partner.{partner}.replies.v1",
        "directory.v1",
        "referral.events.v1",
        "outcome.events.v1",
        "hubevent.events.v1",
    }
    assert not any(name.endswith(".dlq") for name in readable | writable)
    assert allowed(p, READ, "group", f"partner.{partner}.facts")
    assert not allowed(p, READ, "group", consumer_group("hubnet", "referrals", "referral.commands.v1"))
    others = [o for o in PARTNERS if o != partner]
    assert not any(allowed(p, READ, "group", f"partner.{o}.facts") for o in others)


def test_the_operator_and_the_scaler_get_only_their_tools():
    operator, scaler = BY_USER["hubnet-operator"], BY_USER["hubnet-keda"]
    dead_letters = {t.name for t in ALL_TOPICS if t.name.endswith(".dlq")}
    assert {t.name for t in ALL_TOPICS if allowed(operator, READ, "topic", t.name)} == dead_letters | {
        "audit.events.v1"
    }
    assert {t.name for t in ALL_TOPICS if allowed(operator, WRITE, "topic", t.name)} == {
        t.name for t in MAIN_TOPICS if t.dead_letter
    }
    assert not any(allowed(scaler, op, "topic", t.name) for t in ALL_TOPICS for op in (READ, WRITE))
    assert allowed(scaler, DESCRIBE, "group", consumer_group("hubnet", "notifications", "directory.v1"))


def test_every_acl_names_a_real_topic_and_prefixes_apply():
    names = {t.name for t in ALL_TOPICS}
    for principal in principals():
        topic_acls = [a for a in principal.acls if a.resource == "topic"]
        assert {a.name for a in topic_acls if a.pattern == "literal"} <= names, principal.user
        assert all(any(n.startswith(a.name) for n in names) for a in topic_acls if a.pattern == "prefix")
    prefixed = {p.user: p for p in principals(topic_prefix="staging.", group_prefix="stg")}
    assert allowed(prefixed["partner-brg"], WRITE, "topic", "staging.referral.commands.v1")
    assert not allowed(prefixed["partner-brg"], WRITE, "topic", "referral.commands.v1")
    assert allowed(prefixed["hubnet-events"], READ, "group", consumer_group("stg", "events", "directory.v1"))


def test_a_partner_id_with_a_dot_is_refused():
    with pytest.raises(ValueError):
        partner_principal("brg.x")
