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


async def publish_encryption_key(client, partner_id: str, notifications_dsn: str) -> None:
    """The partner's X25519 key in its directory entry, and in the notifications service's copy:
    webhook secrets are sealed to it (docs/adr/0008-webhook-secrets.md)."""
    from tests.integration import referral_steps

    await referral_steps.publish_encryption_key(client, partner_id)
    await referral_steps.key_known_to_notifications(notifications_dsn, partner_id)
