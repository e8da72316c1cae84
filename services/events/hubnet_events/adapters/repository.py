"""Hub events and the directory copy in PostgreSQL."""

from __future__ import annotations

import asyncpg

from hubnet_events.domain.hub_event import HubEvent

COLUMNS = (
    "id", "hub_id", "organiser_partner_id", "kind", "title", "description", "starts_at", "ends_at", "capacity",
    "status", "version",
)


class PgHubEvents:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def get(self, hub_event_id: str) -> HubEvent | None:
        row = await self.conn.fetchrow(f"SELECT {', '.join(COLUMNS)} FROM hub_events WHERE id = $1", hub_event_id)
        return HubEvent(**row) if row else None

    async def add(self, event: HubEvent) -> None:
        await self.conn.execute(
            f"INSERT INTO hub_events ({', '.join(COLUMNS)})"
            f" VALUES ({', '.join(f'${i}' for i in range(1, len(COLUMNS) + 1))})",
            *(getattr(event, column) for column in COLUMNS),
        )
