"""The events service's unit of work."""

from __future__ import annotations

import asyncpg

from hubnet_common.service.directory_copy import PgDirectoryCopy
from hubnet_common.service.uow import PgUnitOfWork
from hubnet_events.adapters.repository import PgHubEvents, PgOccurrences

SERVICE = "events"


class EventsUnitOfWork(PgUnitOfWork):
    hub_events: PgHubEvents
    occurrences: PgOccurrences
    directory: PgDirectoryCopy

    def __init__(self, pool: asyncpg.Pool) -> None:
        super().__init__(SERVICE, pool)

    async def __aenter__(self) -> EventsUnitOfWork:  # this class, for handlers.ports.UnitOfWork
        await super().__aenter__()
        return self

    def open_repositories(self) -> None:
        self.hub_events = PgHubEvents(self.conn)
        self.occurrences = PgOccurrences(self.conn)
        self.directory = PgDirectoryCopy(self.conn)
