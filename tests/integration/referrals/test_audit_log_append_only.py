"""The referrals audit log is append-only on a real PostgreSQL (docs/security.md: "a trigger refuses
UPDATE, DELETE and TRUNCATE"): whoever holds the service's database login can add entries, but
cannot change, delete or wipe what was answered. The schema is the one the service migrates."""

from datetime import UTC, datetime

import asyncpg
import pytest

from hubnet_common.ops.cli.migrate import migration_dirs
from hubnet_common.service.db import migrate
from hubnet_referrals.adapters.audit import PgAudit, entries

pytestmark = pytest.mark.integration


@pytest.fixture
async def conn(new_database):
    conn = await asyncpg.connect(await new_database("audit"))
    await migrate(conn, *migration_dirs("referrals"))
    try:
        yield conn
    finally:
        await conn.close()


async def answered(conn, referral_id: str, outcome: str, code: str | None = None) -> None:
    await PgAudit(conn).append(
        aggregate_id=referral_id,
        actor="poseidon",
        command_type="se.hubnet.referral.accept.v1",
        command_id=f"c-{outcome}",
        sent_at=datetime.now(UTC),
        outcome=outcome,
        code=code,
    )


@pytest.mark.parametrize(
    "statement",
    [
        "TRUNCATE audit_log",
        "TRUNCATE audit_log RESTART IDENTITY CASCADE",
        "UPDATE audit_log SET outcome = 'accepted', code = NULL WHERE aggregate_id = 'R-audit-1'",
        "DELETE FROM audit_log WHERE aggregate_id = 'R-audit-1'",
        "DELETE FROM audit_log",
    ],
)
async def test_what_the_audit_log_says_cannot_be_changed_deleted_or_wiped(conn, statement):
    await answered(conn, "R-audit-1", "refused", "not-permitted")
    before = await entries(conn, "R-audit-1")
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await conn.execute(statement)
    assert await entries(conn, "R-audit-1") == before
    await answered(conn, "R-audit-1", "accepted")  # and it still takes new entries
    assert [e["outcome"] for e in await entries(conn, "R-audit-1")] == ["refused", "accepted"]
