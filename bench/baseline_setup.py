"""The baseline's databases made as the services make theirs (bench/baseline.py): the services' own
migrations and seed data, before anything is measured. Only this setup uses hubnet's code; the
baseline processes use none of it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from hubnet_common.service.db import create_pool, migrate
from hubnet_common.service.settings import Settings
from hubnet_events.bootstrap import MIGRATION_DIRS as EVENTS
from hubnet_notifications.adapters.seed import read_staff
from hubnet_notifications.adapters.uow import NotificationsUnitOfWork
from hubnet_notifications.bootstrap import MIGRATION_DIRS as NOTIFICATIONS
from hubnet_notifications.handlers.load_staff import load_staff
from hubnet_referrals.adapters.seed import read_enrolments, read_network
from hubnet_referrals.adapters.uow import ReferralsUnitOfWork
from hubnet_referrals.bootstrap import MIGRATION_DIRS as REFERRALS
from hubnet_referrals.handlers.directory import load_directory
from tests.integration.referral_steps import ref_of

MIGRATIONS = {"referrals": REFERRALS, "events": EVENTS, "notifications": NOTIFICATIONS}
CONSENT_ID = "C-baseline"


async def prepare(dsns: dict[str, str]) -> str:
    """Schemas, directory, staff and one consent to refer under; returns the consent's id."""
    for name, dsn in dsns.items():
        conn = await asyncpg.connect(dsn)
        try:
            await migrate(conn, *MIGRATIONS[name])
        finally:
            await conn.close()
    partners, hubs, services = read_network()
    pool = await create_pool(dsns["referrals"])
    try:
        async with ReferralsUnitOfWork(pool) as uow:
            await load_directory(uow, partners, hubs, services, enrolments=read_enrolments(Settings().keys_dir))
        now = datetime.now(UTC)
        async with pool.acquire() as conn:
            await conn.execute("DELETE FROM outbox")  # the directory's facts: no one reads them here
            await conn.execute(
                "INSERT INTO consents (id, participant_ref, partner_ids, purposes, method, noted_by,"
                " recorded_by_partner_id, given_at, valid_until) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                CONSENT_ID,
                ref_of(),
                ["brg"],
                ["own-business"],
                "written",
                "Amina Hassan",
                "bostadsbolaget",
                now - timedelta(minutes=5),
                now + timedelta(days=365),
            )
    finally:
        await pool.close()
    pool = await create_pool(dsns["notifications"])
    try:
        async with NotificationsUnitOfWork(pool) as uow:
            await load_staff(uow, read_staff())
        async with pool.acquire() as conn:  # the directory copy, as directory.v1 would fill it
            await conn.executemany(
                "INSERT INTO known_partners (id, name, active) VALUES ($1, $2, $3)",
                [(p.id, p.name, p.active) for p in partners],
            )
            await conn.executemany(
                "INSERT INTO known_hubs (id, name, active) VALUES ($1, $2, $3)",
                [(h.id, h.name, h.active) for h in hubs],
            )
            await conn.executemany(
                "INSERT INTO known_services (id, partner_id, name, hub_ids, active) VALUES ($1, $2, $3, $4, $5)",
                [(s.id, s.partner_id, s.name, list(s.hub_ids), s.active) for s in services],
            )
    finally:
        await pool.close()
    return CONSENT_ID
