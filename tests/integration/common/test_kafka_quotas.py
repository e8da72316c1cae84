"""`make up` (`kafka_users apply`) keeps the broker's client quotas equal to `access.py`: a quota that
drifted is set back, a user that should have none loses it, and a second pass changes nothing."""

import asyncio

import pytest
from kafka.protocol.admin.client_quotas import AlterClientQuotasRequest

from hubnet_common.ops.access import principals
from hubnet_common.ops.local.kafka_users import (
    admin_client,
    admin_request,
    ensure_quotas,
    quotas_on_broker,
    until_described,
)

pytestmark = pytest.mark.integration


def drift_and_apply(bootstrap: str) -> tuple[list[str], list[str], dict]:
    entry = AlterClientQuotasRequest.EntryData
    drift = [
        ("partner-poseidon", "producer_byte_rate", 64 * 1024 * 1024.0),  # looser than its quota: no throttle
        ("hubnet-keda", "consumer_byte_rate", 64 * 1024 * 1024.0),  # the scaler has none
    ]
    admin = admin_client(bootstrap)
    try:
        admin_request(
            admin,
            AlterClientQuotasRequest(
                entries=[
                    entry(
                        entity=[entry.EntityData(entity_type="user", entity_name=user)],
                        ops=[entry.OpData(key=key, value=value, remove=False)],
                    )
                    for user, key, value in drift
                ],
                validate_only=False,
            ),
        )
        drifted = quotas_on_broker(admin)
        for user, key, value in drift:
            drifted.setdefault(user, {})[key] = value
        until_described(admin, {user: drifted[user] for user, _, _ in drift})  # the drift is in force
        first, second = ensure_quotas(admin, principals()), ensure_quotas(admin, principals())
        return first, second, quotas_on_broker(admin)
    finally:
        admin.close()


async def test_apply_sets_drifted_quotas_back_and_then_changes_nothing(kafka_bootstrap):
    first, second, on_broker = await asyncio.to_thread(drift_and_apply, kafka_bootstrap)
    assert first == ["hubnet-keda", "partner-poseidon"]
    assert second == []
    assert on_broker == {p.user: {k: float(v) for k, v in p.quota.configs().items()} for p in principals() if p.quota}
