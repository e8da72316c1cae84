"""Hub events and the directory copy in PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from hubnet_events.domain.hub_event import HubEvent
from hubnet_events.domain.occurrence import Occurrence, Registration

COLUMNS = (
    "id",
    "hub_id",
    "organiser_partner_id",
    "kind",
    "title",
    "description",
    "starts_at",
    "ends_at",
    "capacity",
    "status",
    "version",
    "rrule",
    "cancel_reason",
    "co_organiser_ids",
    "title_en",
    "description_en",
    "languages",
    "audience",
)
CHANGEABLE = (
    "title",
    "description",
    "capacity",
    "status",
    "version",
    "cancel_reason",
    "title_en",
    "description_en",
    "audience",
    "starts_at",
    "ends_at",
)


def _event(row: asyncpg.Record) -> HubEvent:
    return HubEvent(
        **{**dict(row), "co_organiser_ids": tuple(row["co_organiser_ids"]), "languages": tuple(row["languages"])}
    )


class PgHubEvents:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def get(self, hub_event_id: str) -> HubEvent | None:
        row = await self.conn.fetchrow(f"SELECT {', '.join(COLUMNS)} FROM hub_events WHERE id = $1", hub_event_id)
        return _event(row) if row else None

    async def get_for_update(self, hub_event_id: str) -> HubEvent | None:
        row = await self.conn.fetchrow(
            f"SELECT {', '.join(COLUMNS)} FROM hub_events WHERE id = $1 FOR UPDATE", hub_event_id
        )
        return _event(row) if row else None

    async def save(self, event: HubEvent) -> None:
        await self.conn.execute(
            f"UPDATE hub_events SET {', '.join(f'{c} = ${i}' for i, c in enumerate(CHANGEABLE, 2))} WHERE id = $1",
            event.id,
            *(getattr(event, c) for c in CHANGEABLE),
        )

    async def add(self, event: HubEvent) -> None:
        await self.conn.execute(
            f"INSERT INTO hub_events ({', '.join(COLUMNS)})"
            f" VALUES ({', '.join(f'${i}' for i in range(1, len(COLUMNS) + 1))})",
            *(list(v) if isinstance(v := getattr(event, column), tuple) else v for column in COLUMNS),
        )


class PgOccurrences:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.read: dict[str, tuple[str, str | None]] = {}  # registration id: (status, attendance) as `get` read it

    async def add(self, occurrences: list[Occurrence]) -> None:
        await self.conn.executemany(
            "INSERT INTO occurrences (hub_event_id, starts_at, ends_at, capacity) VALUES ($1, $2, $3, $4)",
            [(o.hub_event_id, o.starts_at, o.ends_at, o.capacity) for o in occurrences],
        )

    async def starts(self, hub_event_id: str) -> list[datetime]:
        rows = await self.conn.fetch(
            "SELECT starts_at FROM occurrences WHERE hub_event_id = $1 ORDER BY starts_at", hub_event_id
        )
        return [r["starts_at"] for r in rows]

    async def get(self, hub_event_id: str, starts_at: datetime) -> Occurrence | None:
        """The occurrence with its registrations in arrival order, locked for this transaction."""
        row = await self.conn.fetchrow(
            "SELECT hub_event_id, starts_at, ends_at, capacity, status, walk_ins FROM occurrences"
            " WHERE hub_event_id = $1 AND starts_at = $2 FOR UPDATE",
            hub_event_id,
            starts_at,
        )
        if row is None:
            return None
        registrations = await self.conn.fetch(
            "SELECT id, participant_ref, status, at, referral_id, attendance, seq, registered_by FROM registrations"
            " WHERE hub_event_id = $1 AND occurrence_starts_at = $2 ORDER BY seq",
            hub_event_id,
            starts_at,
        )
        self.read.update((r["id"], (r["status"], r["attendance"])) for r in registrations)
        return Occurrence(**dict(row), registrations=[Registration(**dict(r)) for r in registrations])

    async def to_remind(self, now: datetime, until: datetime, limit: int) -> list[tuple[HubEvent, Occurrence]]:
        """Scheduled occurrences starting between now and `until` not yet reminded of, locked."""
        rows = await self.conn.fetch(
            "SELECT hub_event_id, starts_at FROM occurrences WHERE reminded_at IS NULL AND status = 'scheduled'"
            " AND starts_at > $1 AND starts_at <= $2 ORDER BY starts_at LIMIT $3 FOR UPDATE SKIP LOCKED",
            now,
            until,
            limit,
        )
        events, due = PgHubEvents(self.conn), []
        for r in rows:
            event, occurrence = await events.get(r["hub_event_id"]), await self.get(r["hub_event_id"], r["starts_at"])
            assert event is not None and occurrence is not None  # both rows exist: referenced and locked
            due.append((event, occurrence))
        return due

    async def reminded(self, occurrence: Occurrence, at: datetime) -> None:
        await self.conn.execute(
            "UPDATE occurrences SET reminded_at = $3 WHERE hub_event_id = $1 AND starts_at = $2",
            occurrence.hub_event_id,
            occurrence.starts_at,
            at,
        )

    async def registration_of_referral(self, referral_id: str) -> tuple[str, datetime, str | None] | None:
        """(hub event, occurrence start, participant_ref) of the registration a referral made."""
        row = await self.conn.fetchrow(
            "SELECT hub_event_id, occurrence_starts_at, participant_ref FROM registrations WHERE referral_id = $1"
            " ORDER BY seq DESC LIMIT 1",
            referral_id,
        )
        return (row[0], row[1], row[2]) if row else None

    async def registration_place(self, registration_id: str) -> tuple[str, datetime] | None:
        row = await self.conn.fetchrow(
            "SELECT hub_event_id, occurrence_starts_at FROM registrations WHERE id = $1", registration_id
        )
        return (row[0], row[1]) if row else None

    async def upcoming_of(self, participant_ref: str, after: datetime) -> list[tuple[str, datetime]]:
        """(hub event, occurrence start) where the resident holds a place or waits, still to come."""
        rows = await self.conn.fetch(
            "SELECT DISTINCT hub_event_id, occurrence_starts_at FROM registrations WHERE participant_ref = $1"
            " AND status IN ('registered', 'waitlisted') AND occurrence_starts_at > $2 ORDER BY 2, 1",
            participant_ref,
            after,
        )
        return [(r[0], r[1]) for r in rows]

    async def erase_participant(self, participant_ref: str, referral_ids: list[str]) -> None:
        # The table keeps its first name: renaming it needs a migration of its own.
        await self.conn.execute(
            "UPDATE registrations SET participant_ref = NULL WHERE participant_ref = $1", participant_ref
        )
        await self.conn.execute(
            "INSERT INTO forgotten_referrals (referral_id) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING",
            referral_ids,
        )

    async def referral_erased(self, referral_id: str) -> bool:
        return bool(
            await self.conn.fetchval("SELECT true FROM forgotten_referrals WHERE referral_id = $1", referral_id)
        )

    async def move(self, o: Occurrence, was_starts_at: datetime) -> None:
        """Store the occurrence's new times; its registrations follow (ON UPDATE CASCADE)."""
        await self.conn.execute(
            "UPDATE occurrences SET starts_at = $3, ends_at = $4 WHERE hub_event_id = $1 AND starts_at = $2",
            o.hub_event_id,
            was_starts_at,
            o.starts_at,
            o.ends_at,
        )

    async def save(self, o: Occurrence) -> None:
        await self.conn.execute(
            "UPDATE occurrences SET capacity = $3, status = $4, walk_ins = $5"
            " WHERE hub_event_id = $1 AND starts_at = $2",
            o.hub_event_id,
            o.starts_at,
            o.capacity,
            o.status,
            o.walk_ins,
        )
        # Registrations read with the occurrence (they have a seq) change status and attendance in
        # place, those that changed; new ones are inserted and never overwrite a row of the same id: a reused id is an
        # error, not the old registration brought back (handlers/registrations.py checks it first).
        changed = [r for r in o.registrations if r.seq is not None and self.read.get(r.id) != (r.status, r.attendance)]
        await self.conn.executemany(
            "UPDATE registrations SET status = $4, attendance = $5"
            " WHERE id = $1 AND hub_event_id = $2 AND occurrence_starts_at = $3",
            [(r.id, o.hub_event_id, o.starts_at, r.status, r.attendance) for r in changed],
        )
        self.read.update((r.id, (r.status, r.attendance)) for r in changed)
        for r in o.registrations:
            if r.seq is None:
                r.seq = await self.conn.fetchval(
                    "INSERT INTO registrations (id, hub_event_id, occurrence_starts_at, participant_ref, status, at,"
                    " referral_id, attendance, registered_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
                    " RETURNING seq",
                    r.id,
                    o.hub_event_id,
                    o.starts_at,
                    r.participant_ref,
                    r.status,
                    r.at,
                    r.referral_id,
                    r.attendance,
                    r.registered_by,
                )
                self.read[r.id] = (r.status, r.attendance)
