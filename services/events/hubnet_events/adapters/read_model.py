"""What calendars and follow-up read: hub events for a feed, and figures per hub and month."""

from __future__ import annotations

from datetime import datetime

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from hubnet_common.service.reporting import Period
from hubnet_events.adapters.ical import FeedEvent

# A connection of its own or one lent by the pool (entrypoints/http.py).
Connection = asyncpg.Connection | PoolConnectionProxy

FEED = """
SELECT e.id AS hub_event_id, e.title, e.description, coalesce(h.name, e.hub_id) AS hub_name, e.kind,
       e.starts_at, e.ends_at, e.rrule, e.status, e.version, e.capacity,
       coalesce(p.name, e.organiser_partner_id) AS organiser
FROM hub_events e
LEFT JOIN known_hubs h ON h.id = e.hub_id
LEFT JOIN known_partners p ON p.id = e.organiser_partner_id
WHERE ($1::text IS NULL OR e.hub_id = $1) AND ($2::text IS NULL OR e.organiser_partner_id = $2)
ORDER BY e.starts_at
"""


async def feed_events(conn: Connection, *, hub_id: str | None = None, partner_id: str | None = None) -> list[FeedEvent]:
    return [FeedEvent(**dict(r)) for r in await conn.fetch(FEED, hub_id, partner_id)]


async def name_of(conn: Connection, table: str, id_: str) -> str | None:
    return await conn.fetchval(f"SELECT name FROM {table} WHERE id = $1", id_)


# Per hub, month (Stockholm) and kind: occurrences held (not cancelled, already begun) in the
# period from $2 to before $3, the registrations they had, how many came (of those registered, plus
# walk-ins) and who waited. Only the occurrences of the period and their registrations are read.
FIGURES = """
WITH held AS (
    SELECT e.hub_id, to_char(o.starts_at AT TIME ZONE 'Europe/Stockholm', 'YYYY-MM') AS month, e.kind,
           o.hub_event_id, o.starts_at, o.walk_ins
    FROM occurrences o JOIN hub_events e ON e.id = o.hub_event_id
    WHERE o.status = 'scheduled' AND o.starts_at <= $1 AND o.starts_at >= $2 AND o.starts_at < $3
), regs AS (
    SELECT r.hub_event_id, r.occurrence_starts_at,
           count(*) FILTER (WHERE r.status = 'registered') AS registered,
           count(*) FILTER (WHERE r.status = 'waitlisted') AS waitlisted,
           count(*) FILTER (WHERE r.attendance = 'attended') AS attended,
           count(*) FILTER (WHERE r.attendance IS NOT NULL) AS marked
    FROM registrations r
    JOIN held ON r.hub_event_id = held.hub_event_id AND r.occurrence_starts_at = held.starts_at
    GROUP BY 1, 2
)
SELECT held.hub_id AS hub, held.month, held.kind, count(*) AS held,
       coalesce(sum(regs.registered), 0)::int AS registrations,
       coalesce(sum(regs.waitlisted), 0)::int AS waitlisted,
       coalesce(sum(regs.attended), 0)::int AS attended,
       sum(held.walk_ins)::int AS walk_ins,
       round(sum(regs.attended)::numeric / nullif(sum(regs.marked), 0), 2)::float AS attendance_rate
FROM held LEFT JOIN regs ON regs.hub_event_id = held.hub_event_id AND regs.occurrence_starts_at = held.starts_at
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
"""


async def figures(conn: Connection, now: datetime, period: Period) -> list[dict]:
    """`attendance_rate` is attended ÷ registered residents whose attendance was recorded."""
    return [dict(r) for r in await conn.fetch(FIGURES, now, period.start, period.end)]


# Hub events with an occurrence ending after $2 (the hub's, $1, or every hub's), each occurrence
# with its places taken and its waitlist; at most $3 events, soonest first.
HUB_EVENTS = """
SELECT e.id, e.hub_id, coalesce(h.name, e.hub_id) AS hub_name, e.organiser_partner_id,
       coalesce(p.name, e.organiser_partner_id) AS organiser_name, e.co_organiser_ids, e.kind, e.title,
       e.description, e.title_en, e.description_en, e.languages, e.audience, e.starts_at, e.ends_at,
       e.rrule, e.capacity, e.status, e.cancel_reason, e.version
FROM hub_events e
LEFT JOIN known_hubs h ON h.id = e.hub_id
LEFT JOIN known_partners p ON p.id = e.organiser_partner_id
WHERE ($1::text IS NULL OR e.hub_id = $1) AND ($4::text IS NULL OR e.id = $4)
  AND EXISTS (SELECT 1 FROM occurrences o WHERE o.hub_event_id = e.id AND o.ends_at > $2)
ORDER BY (SELECT min(o.starts_at) FROM occurrences o WHERE o.hub_event_id = e.id AND o.ends_at > $2), e.id
LIMIT $3
"""
OCCURRENCES = """
SELECT o.hub_event_id, o.starts_at, o.ends_at, o.capacity, o.status, o.walk_ins,
       count(r.id) FILTER (WHERE r.status = 'registered')::int AS registered,
       count(r.id) FILTER (WHERE r.status = 'waitlisted')::int AS waitlisted
FROM occurrences o
LEFT JOIN registrations r ON r.hub_event_id = o.hub_event_id AND r.occurrence_starts_at = o.starts_at
WHERE o.hub_event_id = ANY($1::text[]) AND o.ends_at > $2
GROUP BY o.hub_event_id, o.starts_at
ORDER BY o.hub_event_id, o.starts_at
"""
# The places and waitlist of one hub event that partner $2 may see: every one for its organisers,
# else those it registered (handlers/registrations.py: they are who may cancel them). The waitlist
# position counts every waiting resident, whoever registered them.
REGISTRATIONS = """
WITH active AS (
    SELECT r.*, CASE WHEN r.status = 'waitlisted' THEN
               row_number() OVER (PARTITION BY r.occurrence_starts_at, r.status ORDER BY r.seq) END AS position
    FROM registrations r
    WHERE r.hub_event_id = $1 AND r.status IN ('registered', 'waitlisted') AND r.participant_ref IS NOT NULL
)
SELECT a.id, a.occurrence_starts_at, a.participant_ref, a.status, a.position::int AS waitlist_position,
       a.attendance, a.referral_id, a.registered_by, a.at
FROM active a JOIN hub_events e ON e.id = a.hub_event_id
WHERE $2 = e.organiser_partner_id OR $2 = ANY(e.co_organiser_ids) OR a.registered_by = $2
ORDER BY a.occurrence_starts_at, a.seq
"""


async def hub_events(
    conn: Connection, *, after: datetime, hub_id: str | None = None, hub_event_id: str | None = None, limit: int = 200
) -> list[dict]:
    """Hub events still to come (or under way) after `after`, with those occurrences and their counts."""
    events = [dict(r) for r in await conn.fetch(HUB_EVENTS, hub_id, after, limit, hub_event_id)]
    by_id: dict[str, list[dict]] = {e["id"]: [] for e in events}
    for row in await conn.fetch(OCCURRENCES, list(by_id), after):
        occurrence = dict(row)
        by_id[occurrence.pop("hub_event_id")].append(occurrence)
    return [{**e, "occurrences": by_id[e["id"]]} for e in events]


async def registrations_seen_by(conn: Connection, hub_event_id: str, partner_id: str) -> list[dict]:
    return [dict(r) for r in await conn.fetch(REGISTRATIONS, hub_event_id, partner_id)]
