"""The notifications service's unit of work."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import asyncpg

from hubnet_common.service.directory_copy import PgDirectoryCopy
from hubnet_common.service.uow import PgUnitOfWork, UnitOfWork
from hubnet_notifications import SERVICE
from hubnet_notifications.adapters.repository import PgNotifications, PgStaff, PgSubscriptions, PgWebhooks

__all__ = ["SERVICE", "NotificationsUnitOfWork", "of_this_service"]


class NotificationsUnitOfWork(PgUnitOfWork):
    staff: PgStaff
    subscriptions: PgSubscriptions
    webhooks: PgWebhooks
    notifications: PgNotifications
    directory: PgDirectoryCopy

    def __init__(self, pool: asyncpg.Pool) -> None:
        super().__init__(SERVICE, pool)

    async def __aenter__(self) -> NotificationsUnitOfWork:  # with the repositories (handlers/ports.py UnitOfWork)
        await super().__aenter__()
        return self

    async def write_queued(self) -> None:
        await self.notifications.write_queued()

    def open_repositories(self) -> None:
        self.staff = PgStaff(self.conn)
        self.subscriptions = PgSubscriptions(self.conn)
        self.webhooks = PgWebhooks(self.conn)
        self.notifications = PgNotifications(self.conn, self.wake_on_commit)
        self.directory = PgDirectoryCopy(self.conn)


def of_this_service(factory: Callable[[], UnitOfWork]) -> Callable[[], NotificationsUnitOfWork]:
    """The runtime knows its unit of work by hubnet_common's base class (service/runtime.py); in
    this service it is the one bootstrap.py's `uow_factory` makes."""
    return cast(Callable[[], NotificationsUnitOfWork], factory)
