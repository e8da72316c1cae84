"""Wires the notifications service: facts in, staff told by e-mail and inbox, outcomes out."""

import asyncio
from collections.abc import Callable
from pathlib import Path

import asyncpg
import structlog
from hubnet_common.directory_copy import DIRECTORY_COPY_MIGRATIONS, directory_copy_handlers
from hubnet_common.processing import Route
from hubnet_common.runtime import Runtime, ServiceSpec
from hubnet_common.topics import DIRECTORY
from hubnet_common.uow import UnitOfWork

from hubnet_notifications.adapters.mailer import SmtpMailer
from hubnet_notifications.adapters.seed import read_staff
from hubnet_notifications.adapters.uow import SERVICE, NotificationsUnitOfWork
from hubnet_notifications.handlers.deliver_email import deliver_due_emails
from hubnet_notifications.handlers.load_staff import load_staff
from hubnet_notifications.handlers.notify import notifier
from hubnet_notifications.settings import NotificationSettings

MIGRATIONS = Path(__file__).parent / "migrations"
log = structlog.get_logger(__name__)


def routes(base_url: str) -> list[Route]:
    handlers = notifier(base_url)
    by_topic: dict[str, dict] = {}
    for model, handler in handlers.items():
        by_topic.setdefault(model.topic, {})[model] = handler
    return [Route(topic, h) for topic, h in by_topic.items()] + [Route(DIRECTORY.name, directory_copy_handlers())]


def mailer(settings: NotificationSettings) -> SmtpMailer:
    return SmtpMailer(
        settings.smtp_host, settings.smtp_port, sender=settings.mail_from, starttls=settings.smtp_starttls,
        user=settings.smtp_user, password=settings.smtp_password,
    )


def spec(
    settings: NotificationSettings | None = None,
    uow_factory: Callable[[asyncpg.Pool], Callable[[], UnitOfWork]] | None = None,
) -> ServiceSpec:
    settings = settings or NotificationSettings()
    smtp = mailer(settings)

    async def seed_staff(runtime: Runtime) -> None:
        async with NotificationsUnitOfWork(runtime.pool) as uow:
            await load_staff(uow, read_staff())

    async def email_worker(runtime: Runtime) -> None:
        new_uow = lambda: NotificationsUnitOfWork(runtime.pool)  # noqa: E731
        while True:
            try:
                if await deliver_due_emails(new_uow, smtp) == 0:
                    await asyncio.sleep(settings.delivery_poll_seconds)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("e-mail worker paused", error=repr(exc))
                await asyncio.sleep(1.0)

    return ServiceSpec(
        name=SERVICE,
        migrations=[DIRECTORY_COPY_MIGRATIONS, MIGRATIONS],
        routes=routes(settings.base_url),
        uow_factory=uow_factory or (lambda pool: lambda: NotificationsUnitOfWork(pool)),
        on_start=[seed_staff],
        workers=[email_worker],
    )
