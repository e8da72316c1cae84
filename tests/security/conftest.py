"""The attacks of docs/security.md's threat model, each run against the real stack: Kafka,
PostgreSQL and the three services. Each test is named after its attack and fails if it succeeds."""

import pytest

from tests.integration.network import three_in_process

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def network(new_database, kafka_bootstrap, mail_sink):
    """The three services, each with its own database: (referrals, events, notifications) DSNs."""
    async with three_in_process(new_database, kafka_bootstrap, mail_sink[0], "attack") as dsns:
        yield dsns
