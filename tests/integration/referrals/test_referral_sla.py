"""SLA breaches: announced once per breach, also when they fell due while the service was down."""

import asyncio
from datetime import UTC, datetime

import pytest

from hubnet_common.sdk.messages.referral_events import ReferralOverdue
from hubnet_referrals import bootstrap
from hubnet_referrals.settings import ReferralSettings
from tests.conftest import fresh_group_prefix
from tests.integration.conftest import rows, running
from tests.integration.referral_steps import new_referral

pytestmark = pytest.mark.integration


async def test_a_breach_during_downtime_is_announced_once_after_restart(
    new_database, kafka_bootstrap, partner, watcher
):
    dsn = await new_database("referrals")
    settings = ReferralSettings(
        pg_dsn=dsn, kafka_bootstrap=kafka_bootstrap, group_prefix=fresh_group_prefix("it"), sla_check_seconds=0.2
    )
    async with running(bootstrap.spec(settings), settings), partner("bostadsbolaget") as sender:
        command = await new_referral(sender)
    rid = command.referral_id

    # While the service is down, the two working days pass.
    await rows(dsn, "UPDATE referral_sla SET due_at = now() - interval '1 minute' WHERE referral_id = $1", rid)
    async with running(bootstrap.spec(settings), settings):
        overdue = await watcher.wait_for(lambda s: isinstance(s.body, ReferralOverdue) and s.key == rid)
    assert (overdue.body.kind, overdue.body.breach, overdue.body.receiver_partner_id) == ("acknowledge", 1, "brg")

    async with running(bootstrap.spec(settings), settings):  # and once more: nothing is announced twice
        await asyncio.sleep(1.0)  # five SLA checks in which nothing may be announced again
    announced = {s.envelope.id for s in watcher.seen if isinstance(s.body, ReferralOverdue) and s.key == rid}
    assert len(announced) == 1
    [after] = await rows(
        dsn, "SELECT breaches, due_at FROM referral_sla WHERE referral_id = $1 AND kind = 'acknowledge'", rid
    )
    assert after["breaches"] == 1 and after["due_at"] > datetime.now(UTC)  # the next breach is a period later
