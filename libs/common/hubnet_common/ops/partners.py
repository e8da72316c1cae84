"""The partners of a deployment, as data: the `partners` of the referrals service's seed
(`hubnet_referrals/seed/network.json`, or the file HUBNET_PARTNERS_FILE names). What is rendered
before anything runs comes from it: the Strimzi `KafkaTopic`s and `KafkaUser`s, the realm, the
topics `hubnet admin topics` creates. At run time the directory (`directory.v1`) is the registry
every service follows; `hubnet admin partner` adds, suspends and removes partners there without a
release (docs/adr/0015-onboarding-as-data.md)."""

from __future__ import annotations

import json
import os
from importlib.util import find_spec
from pathlib import Path

from hubnet_common.sdk.topics import MAIN_TOPICS, Topic, replies_topic

PARTNERS_FILE_VARIABLE = "HUBNET_PARTNERS_FILE"


def network_seed() -> Path:
    """The referrals service's seed, found without importing the service, unless HUBNET_PARTNERS_FILE names another."""
    if chosen := os.environ.get(PARTNERS_FILE_VARIABLE):
        return Path(chosen)
    spec = find_spec("hubnet_referrals")
    if spec is None or spec.origin is None:
        raise LookupError(f"hubnet_referrals is not installed: set {PARTNERS_FILE_VARIABLE} to the partners' file")
    return Path(spec.origin).parent / "seed" / "network.json"


def deployment_partners(path: Path | None = None) -> tuple[str, ...]:
    """The ids of the deployment's partners, in the file's order."""
    data = json.loads((path or network_seed()).read_text(encoding="utf-8"))
    return tuple(entry["id"] for entry in data["partners"])


def deployment_topics(partners: tuple[str, ...] | None = None) -> tuple[Topic, ...]:
    """The network's topics, every partner's replies topic and the dead-letter topics."""
    return (*main_topics(partners), *(t.dlq for t in MAIN_TOPICS if t.dead_letter))


def main_topics(partners: tuple[str, ...] | None = None) -> tuple[Topic, ...]:
    """The network's topics and every partner's replies topic, without dead-letter topics."""
    chosen = deployment_partners() if partners is None else partners
    return (*MAIN_TOPICS, *(replies_topic(p) for p in chosen))
