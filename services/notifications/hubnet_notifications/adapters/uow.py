"""The notifications service's unit of work."""

from __future__ import annotations

import asyncpg

from hubnet_common.service.directory_copy import PgDirectoryCopy
from hubnet_common.service.uow import PgUnitOfWork
from hubnet_notifications.adapters.repository import PgNotifications, PgStaff, PgSubscriptions, PgWebhooks

SERVICE = "notifications"


class NotificationsUnitOfWork(PgUnitOfWork):
    staff: PgStaff
    subscriptions: PgSubscriptions
    webhooks: PgWebhooks
    notifications: PgNotifications
    directory: PgDirectoryCopy

    def __init__(self, pool: asyncpg.Pool) -> None:
        super().__init__(SERVICE, pool)

    def open_repositories(self) -> None:
        self.staff = PgStaff(self.conn)
        self.subscriptions = PgSubscriptions(self.conn)
        self.webhooks = PgWebhooks(self.conn)
        self.notifications = PgNotifications(self.conn)
        self.directory = PgDirectoryCopy(self.conn)
