"""The operators' `hubnet dlq` tool against the real broker (README.md, "Operating: metrics and dead
letters"): `list` shows only what its filters (--group, --reason, --since, --until) select, and
`purge --before N` deletes the dead letters before offset N and keeps the rest. The dead letters
are written as a consumer writes them; their times lie in a year no other test's do, and their
groups are this test's own, so what other tests left on the topic is not selected."""

import asyncio
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from hubnet_common.ops.local.credentials import login
from hubnet_common.sdk.topics import on_broker
from hubnet_common.service.settings import Settings

pytestmark = pytest.mark.integration
TOPIC = "notification.commands.v1"


def hubnet(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).parent / "hubnet"), *args], capture_output=True, text=True, timeout=60
    )


async def dlq(*args: str) -> subprocess.CompletedProcess:
    done = await asyncio.to_thread(hubnet, "dlq", *args)
    assert done.returncode == 0, done.stderr
    return done


def listed(done: subprocess.CompletedProcess) -> set[str]:
    """The ce_ids of the dead letters a `hubnet dlq list` printed."""
    return set(re.findall(r"id=(\S+)", done.stdout))


@pytest.fixture
async def letters(kafka_bootstrap):
    """Three dead letters: {name: (ce_id, offset)} and the two groups they came from."""
    run = uuid.uuid4().hex[:8]
    first_group, second_group = f"hubnet-notifications-a-{run}", f"hubnet-notifications-b-{run}"
    wanted = {
        "garbled": (first_group, "invalid-body", "2031-03-01T08:00:00+00:00"),
        "unknown": (first_group, "unknown-type", "2031-03-01T09:00:00+00:00"),
        "other-group": (second_group, "invalid-body", "2031-03-01T10:00:00+00:00"),
    }
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, **login("hubnet-notifications"))
    await producer.start()
    made = {}
    try:
        for name, (group, reason, at) in wanted.items():
            ce_id = f"{name}-{run}"
            headers = [("ce_id", ce_id.encode()), ("ce_type", b"se.hubnet.notification.subscribe.v1")] + [
                (n, v.encode())
                for n, v in {
                    "dlq_reason": reason,
                    "dlq_detail": "as a consumer wrote it",
                    "dlq_group": group,
                    "dlq_topic": TOPIC,
                    "dlq_partition": "0",
                    "dlq_offset": "1",
                    "dlq_time": at,
                }.items()
            ]
            sent = await producer.send_and_wait(
                on_broker(f"{TOPIC}.dlq", Settings().topic_prefix), b"{not json", key=b"brg-sara", headers=headers
            )
            made[name] = (ce_id, sent.offset)
    finally:
        await producer.stop()
    return made, first_group, second_group


async def test_list_shows_only_what_the_filters_select(letters):
    made, first_group, second_group = letters
    ids = {name: ce_id for name, (ce_id, _) in made.items()}
    assert listed(await dlq("list", "--topic", TOPIC, "--group", first_group)) == {ids["garbled"], ids["unknown"]}
    assert listed(await dlq("list", "--topic", TOPIC, "--group", first_group, "--reason", "invalid-body")) == {
        ids["garbled"]
    }
    # Other tests of the session may leave letters in the same hours: only this run's count.
    ours = set(ids.values())
    assert listed(
        await dlq("list", "--topic", TOPIC, "--since", "2031-03-01T08:30+00:00", "--until", "2031-03-01T09:30+00:00")
    ) & ours == {ids["unknown"]}
    # 10:30 in Stockholm is 09:30 UTC: only the 10:00 UTC one is later
    assert listed(await dlq("list", "--topic", TOPIC, "--since", "2031-03-01T10:30+01:00")) & ours == {
        ids["other-group"]
    }
    everything = await dlq("list", "--topic", TOPIC, "--group", second_group)
    assert listed(everything) == {ids["other-group"]} and "1 dead letter(s)" in everything.stdout


async def test_purge_before_an_offset_deletes_only_the_dead_letters_before_it(letters):
    made, first_group, _second_group = letters
    (garbled, _), (unknown, kept_from), (other, _) = made["garbled"], made["unknown"], made["other-group"]
    purged = await dlq("purge", "--topic", TOPIC, "--before", str(kept_from))
    assert f"before offset {kept_from}" in purged.stdout
    ours = {garbled, unknown, other}
    assert listed(await dlq("list", "--topic", TOPIC, "--since", "2031-01-01T00:00+00:00")) & ours == {unknown, other}
    assert garbled not in listed(await dlq("list", "--topic", TOPIC, "--group", first_group))
