"""Referrals and the directory in PostgreSQL (asyncpg, plain SQL)."""

from __future__ import annotations

import asyncpg

from hubnet_referrals.domain.directory import Hub, Partner, Service
from hubnet_referrals.domain.referral import Referral, Status, Transition


COLUMNS = (
    "id", "sender_partner_id", "receiver_partner_id", "service_id", "hub_id", "participant_ref", "purpose",
    "need", "consent_id", "sealed_contact", "requested_at",
)


class PgReferrals:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def get(self, referral_id: str) -> Referral | None:
        row = await self.conn.fetchrow("SELECT * FROM referrals WHERE id = $1", referral_id)
        if row is None:
            return None
        history = await self.conn.fetch(
            "SELECT * FROM referral_history WHERE referral_id = $1 ORDER BY version", referral_id
        )
        return Referral(
            **{column: row[column] for column in COLUMNS},
            status=Status(row["status"]),
            history=[
                Transition(h["version"], Status(h["status"]), h["actor_partner_id"], h["at"], h["reason"])
                for h in history
            ],
        )

    async def add(self, referral: Referral) -> None:
        await self.conn.execute(
            f"INSERT INTO referrals ({', '.join(COLUMNS)}, status, version)"
            f" VALUES ({', '.join(f'${i}' for i in range(1, len(COLUMNS) + 3))})",
            *(getattr(referral, column) for column in COLUMNS), referral.status.value, referral.version,
        )
        await self.conn.executemany(
            "INSERT INTO referral_history (referral_id, version, status, actor_partner_id, at, reason)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            [(referral.id, t.version, t.status.value, t.actor_partner_id, t.at, t.reason) for t in referral.history],
        )


class PgDirectory:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def partner(self, partner_id: str) -> Partner | None:
        row = await self.conn.fetchrow("SELECT id, name, active FROM partners WHERE id = $1", partner_id)
        return Partner(**row) if row else None

    async def service(self, service_id: str) -> Service | None:
        row = await self.conn.fetchrow(
            "SELECT s.id, s.partner_id, s.name, s.active,"
            " coalesce(array_agg(l.hub_id ORDER BY l.hub_id) FILTER (WHERE l.hub_id IS NOT NULL), '{}') AS hub_ids"
            " FROM services s LEFT JOIN service_at_location l ON l.service_id = s.id"
            " WHERE s.id = $1 GROUP BY s.id",
            service_id,
        )
        return Service(**{**dict(row), "hub_ids": tuple(row["hub_ids"])}) if row else None

    async def upsert_partner(self, partner: Partner) -> bool:
        """Store the partner; True when it is new or changed."""
        return await self._changed(
            "INSERT INTO partners (id, name, active) VALUES ($1, $2, $3)"
            " ON CONFLICT (id) DO UPDATE SET name = $2, active = $3"
            " WHERE (partners.name, partners.active) IS DISTINCT FROM ($2, $3) RETURNING true",
            partner.id, partner.name, partner.active,
        )

    async def upsert_hub(self, hub: Hub) -> bool:
        return await self._changed(
            "INSERT INTO hubs (id, name, active) VALUES ($1, $2, $3)"
            " ON CONFLICT (id) DO UPDATE SET name = $2, active = $3"
            " WHERE (hubs.name, hubs.active) IS DISTINCT FROM ($2, $3) RETURNING true",
            hub.id, hub.name, hub.active,
        )

    async def upsert_service(self, service: Service) -> bool:
        changed = await self._changed(
            "INSERT INTO services (id, partner_id, name, active) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (id) DO UPDATE SET partner_id = $2, name = $3, active = $4"
            " WHERE (services.partner_id, services.name, services.active) IS DISTINCT FROM ($2, $3, $4)"
            " RETURNING true",
            service.id, service.partner_id, service.name, service.active,
        )
        before = await self.conn.fetch("SELECT hub_id FROM service_at_location WHERE service_id = $1", service.id)
        if {r["hub_id"] for r in before} == set(service.hub_ids):
            return changed
        await self.conn.execute("DELETE FROM service_at_location WHERE service_id = $1", service.id)
        await self.conn.executemany(
            "INSERT INTO service_at_location (service_id, hub_id) VALUES ($1, $2)",
            [(service.id, hub_id) for hub_id in service.hub_ids],
        )
        return True

    async def _changed(self, sql: str, *args) -> bool:
        return bool(await self.conn.fetchval(sql, *args))
