"""What staff and partner systems read over HTTP: referrals with their history, a partner's
referrals, the directory. Plain SQL straight to JSON-ready dicts."""

from __future__ import annotations

import json

from hubnet_referrals.adapters import audit
from hubnet_referrals.adapters.connection import Connection
from hubnet_referrals.adapters.repository import HISTORY, SERVICE, service_from_row
from hubnet_referrals.domain.directory import Hub, Partner, Service

LISTED = "id, sender_partner_id, receiver_partner_id, service_id, hub_id, purpose, status, version, requested_at"


async def audit_of(conn: Connection, referral_id: str, partner_id: str) -> list[dict] | None:
    """The referral's audit log, if `partner_id` sent or received it."""
    if not await conn.fetchval(
        "SELECT true FROM referrals WHERE id = $1 AND $2 IN (sender_partner_id, receiver_partner_id)",
        referral_id,
        partner_id,
    ):
        return None
    return await audit.entries(conn, referral_id)


async def referral_with_history(conn: Connection, referral_id: str, partner_id: str) -> dict | None:
    """The referral, if `partner_id` sent or received it (others learn nothing, not even that it exists)."""
    row = await conn.fetchrow(
        f"SELECT {LISTED}, consent_id, participant_ref, sealed_contact, need FROM referrals"
        " WHERE id = $1 AND $2 IN (sender_partner_id, receiver_partner_id)",
        referral_id,
        partner_id,
    )
    if row is None:
        return None
    history = await conn.fetch(
        f"SELECT {', '.join(HISTORY)} FROM referral_history WHERE referral_id = $1 ORDER BY version", referral_id
    )
    # Contact details and free text are sealed under the resident's data key: only partners holding
    # a copy of it can open them.
    return {**dict(row), "history": [dict(h) for h in history]}


async def referrals_of(
    conn: Connection, partner_id: str, *, role: str | None = None, status: str | None = None, limit: int = 200
) -> list[dict]:
    where = {"sender": "sender_partner_id = $1", "receiver": "receiver_partner_id = $1"}.get(
        role or "", "$1 IN (sender_partner_id, receiver_partner_id)"
    )
    rows = await conn.fetch(
        f"SELECT {LISTED} FROM referrals WHERE {where} AND ($2::text IS NULL OR status = $2)"
        " ORDER BY requested_at DESC LIMIT $3",
        partner_id,
        status,
        limit,
    )
    return [dict(r) for r in rows]


async def directory(conn: Connection) -> dict:
    partners = await conn.fetch(
        "SELECT p.id, p.name, p.active, p.encryption_public_key,"
        " coalesce(s.status, CASE WHEN p.active THEN 'active' ELSE 'suspended' END) AS status"
        " FROM partners p LEFT JOIN partner_standing s ON s.partner_id = p.id ORDER BY p.id"
    )
    hubs = await conn.fetch("SELECT id, name, active FROM hubs ORDER BY id")
    services = await conn.fetch(
        "SELECT s.*, coalesce(array_agg(l.hub_id ORDER BY l.hub_id) FILTER (WHERE l.hub_id IS NOT NULL), '{}')"
        " AS hub_ids FROM services s LEFT JOIN service_at_location l ON l.service_id = s.id GROUP BY s.id ORDER BY s.id"
    )
    return {
        "partners": [dict(p) for p in partners],
        "hubs": [dict(h) for h in hubs],
        "services": [
            {**{k: v for k, v in s.items() if k != "needs"}, "schedules": json.loads(s["schedules"])} for s in services
        ],
    }


async def catalogue(conn: Connection) -> tuple[dict[str, Partner], list[Hub], list[Service]]:
    """The whole directory as the domain holds it (partners by id), for the HSDS routes; it is small."""
    partners = await conn.fetch("SELECT id, name, active FROM partners ORDER BY id")
    hubs = await conn.fetch("SELECT id, name, active FROM hubs ORDER BY id")
    services = await conn.fetch(
        f"SELECT {', '.join('s.' + c for c in SERVICE)},"
        " coalesce(array_agg(l.hub_id ORDER BY l.hub_id) FILTER (WHERE l.hub_id IS NOT NULL), '{}') AS hub_ids"
        " FROM services s LEFT JOIN service_at_location l ON l.service_id = s.id GROUP BY s.id ORDER BY s.id"
    )
    return (
        {p["id"]: Partner(**p) for p in partners},
        [Hub(**h) for h in hubs],
        [service_from_row(s) for s in services],
    )
