"""The three services as processes on databases of their own, started for one test module."""

import asyncio
from contextlib import asynccontextmanager
from pathlib import Path

from hubnet_common.ops.local.identities import partner_tokens
from hubnet_common.ops.local.services import LocalServices
from hubnet_common.sdk.data_key import fetch_data_key
from hubnet_common.sdk.trust import trusted_service_keys
from hubnet_common.service.settings import Settings
from hubnet_events import bootstrap as events
from hubnet_notifications import bootstrap as notifications
from hubnet_referrals import bootstrap as referrals
from tests.conftest import free_port, fresh_group_prefix
from tests.e2e.topics import end_offsets
from tests.integration.conftest import skip_history, until


@asynccontextmanager
async def three_services(new_database, kafka_bootstrap: str, smtp_port: int, log_dir: Path, label: str, **env: str):
    """Yields (database DSNs by service, the running services, the topics' end offsets before they
    started) once each service has its copy of the seeded directory."""
    prefix = fresh_group_prefix(label)
    dsns = {name: await new_database(name) for name in ("referrals", "events", "notifications")}
    start_offsets = await end_offsets(kafka_bootstrap)
    await skip_history(kafka_bootstrap, prefix, [referrals.spec(), events.spec(), notifications.spec()])
    local = LocalServices(
        log_dir=log_dir,
        databases={name: dsn.rpartition("/")[2] for name, dsn in dsns.items()},
        ports={name: free_port() for name in dsns},
        extra_env={
            "HUBNET_GROUP_PREFIX": prefix,
            "HUBNET_SMTP_PORT": str(smtp_port),
            "HUBNET_KAFKA_BOOTSTRAP": kafka_bootstrap,
            **env,
        },
    )
    await asyncio.to_thread(local.__enter__)
    try:
        await until(dsns["events"], "SELECT 1 FROM known_partners WHERE id = 'familjebostader'")
        await until(dsns["events"], "SELECT 1 FROM known_hubs WHERE id = 'bergsjon'")
        # notifications names hubs and services from its own copy of the directory
        await until(dsns["notifications"], "SELECT 1 FROM known_hubs WHERE id = 'hjallbo'")
        await until(dsns["notifications"], "SELECT 1 FROM known_services WHERE id = 'brg-business-coaching'")
        await until(dsns["notifications"], "SELECT 1 FROM known_partners WHERE id = 'bostadsbolaget'")
        yield dsns, local, start_offsets
    finally:
        await asyncio.to_thread(local.__exit__, None, None, None)


def data_key_of(referrals_url: str, participant_ref: str, partner_id: str, private_key: str) -> bytes:
    """The partner's copy of the resident's data key, as a partner fetches it: logged in as the
    partner, the answer checked against the referrals service's public key (HUBNET_KEYS_DIR)."""
    return fetch_data_key(
        referrals_url,
        participant_ref,
        partner_id,
        private_key,
        service_keys=trusted_service_keys(Settings().keys_dir),
        tokens=partner_tokens(partner_id),
    )
