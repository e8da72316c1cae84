"""New consumer groups on a shared broker: start after what is already there."""

from collections.abc import Iterable

from hubnet_common.kafka import start_group_at_end
from hubnet_common.runtime import ServiceSpec, consumer_group
from hubnet_common.topics import DIRECTORY, MAIN_TOPICS


async def skip_history(bootstrap: str, group_prefix: str, specs: Iterable[ServiceSpec]) -> None:
    """Test and benchmark instances share the local broker with every earlier run: their consumer
    groups start at the end of the command and fact topics (earlier runs' messages are not their
    business) and read the compacted directory from its beginning, as a new deployment would."""
    topics = {t.name: t for t in MAIN_TOPICS}
    for spec in specs:
        for route in spec.routes:
            if route.topic != DIRECTORY.name:
                await start_group_at_end(bootstrap, consumer_group(group_prefix, spec.name, route.topic),
                                         [topics[route.topic]])
