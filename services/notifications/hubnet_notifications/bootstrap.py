"""Wires the notifications service: facts in, staff told by e-mail, inbox and webhooks."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from hubnet_common.sdk.keys import read_key
from hubnet_common.sdk.messages.base import Message
from hubnet_common.sdk.messages.referral_events import ParticipantErased
from hubnet_common.sdk.sealing import public_key_of
from hubnet_common.sdk.topics import DIRECTORY, NOTIFICATION_COMMANDS
from hubnet_common.sdk.webhook_signature import open_secret
from hubnet_common.service.directory_copy import DIRECTORY_COPY_MIGRATIONS, directory_copy_handlers
from hubnet_common.service.processing import Handler, Route
from hubnet_common.service.runtime import OwnLoop, Runtime, ServiceSpec, every, on_own_loop
from hubnet_common.service.uow import UnitOfWork
from hubnet_notifications.adapters.accepted import RECORDER_SETTINGS, PgAcceptedOutcomes, PgHandovers
from hubnet_notifications.adapters.mailer import SmtpMailer
from hubnet_notifications.adapters.repository import DELIVERIES_DUE, seal_stored_secrets
from hubnet_notifications.adapters.seed import read_staff
from hubnet_notifications.adapters.uow import SERVICE, NotificationsUnitOfWork, of_this_service
from hubnet_notifications.adapters.webhook import WebhookSender
from hubnet_notifications.entrypoints import http
from hubnet_notifications.handlers import manage
from hubnet_notifications.handlers.deliver import Channels, Deliveries
from hubnet_notifications.handlers.erase import erase_participant
from hubnet_notifications.handlers.load_staff import load_staff
from hubnet_notifications.handlers.notify import notifier
from hubnet_notifications.handlers.send_digests import send_due_digests
from hubnet_notifications.settings import NotificationSettings

MIGRATIONS = Path(__file__).parent / "migrations"
# What `hubnet admin migrate` applies: found without building the service, so it needs no key.
MIGRATION_DIRS = [DIRECTORY_COPY_MIGRATIONS, MIGRATIONS]


def routes(settings: NotificationSettings, secrets_key: str) -> list[Route]:
    by_topic: dict[str, dict[type[Message], Handler]] = {}
    told = notifier(
        settings.base_url, timedelta(hours=settings.notify_within_hours), partner_urls=settings.partner_urls
    )
    handlers: dict[type[Message], Handler] = {**told, ParticipantErased: erase_participant}
    for model, handler in handlers.items():
        by_topic.setdefault(model.topic, {})[model] = handler
    return [
        *(Route(topic, handlers) for topic, handlers in by_topic.items()),
        Route(DIRECTORY.name, directory_copy_handlers()),
        Route(
            NOTIFICATION_COMMANDS.name,
            manage.handlers(settings.webhook_policy(), public_key_of(secrets_key)),
            answers=True,
        ),
    ]


def mailer(settings: NotificationSettings) -> SmtpMailer:
    return SmtpMailer(
        settings.smtp_host,
        settings.smtp_port,
        sender=settings.mail_from,
        starttls=settings.smtp_starttls,
        user=settings.smtp_user,
        password=settings.smtp_password,
        links_under=settings.own_links,
    )


def spec(
    settings: NotificationSettings | None = None,
    uow_factory: Callable[[asyncpg.Pool], Callable[[], UnitOfWork]] | None = None,
) -> ServiceSpec:
    settings = settings or NotificationSettings()
    secrets_key = read_key(settings.secrets_key_file)  # webhook secrets are sealed to it at rest

    async def seal_plain_secrets(runtime: Runtime) -> None:
        async with runtime.pool.acquire() as conn:
            await seal_stored_secrets(conn, public_key_of(secrets_key))

    smtp = mailer(settings)  # the digests'; the delivery worker's own is below

    async def seed_staff(runtime: Runtime) -> None:
        async with of_this_service(runtime.unit_of_work)() as uow:
            await load_staff(uow, read_staff())

    # The delivery worker has a loop, a pool, a mailer and a recorder of its own (runtime.on_own_loop).
    def recorder_connection():
        return asyncpg.connect(settings.pg_dsn, command_timeout=30, server_settings=RECORDER_SETTINGS)

    delivery_mailer = mailer(settings)
    accepted = PgAcceptedOutcomes(recorder_connection)
    handovers = PgHandovers(recorder_connection, in_flight=delivery_mailer.sessions)
    delivery = Deliveries(
        Channels(
            delivery_mailer,
            WebhookSender(timeout=settings.webhook_timeout_seconds, policy=settings.webhook_policy()),
            lambda sealed: open_secret(sealed, secrets_key),
        ),
        accepted,
        handovers,
        batch=settings.delivery_batch,
        lease=timedelta(seconds=settings.delivery_lease_seconds),
    )

    async def deliveries(own: OwnLoop) -> int:
        return await delivery.deliver_due(of_this_service(own.unit_of_work))

    # every() is typed for a Runtime; what it uses of one (pool, stopping) an OwnLoop has too.
    delivering = every(settings.delivery_poll_seconds, deliveries, "deliveries", wake_on=DELIVERIES_DUE)  # type: ignore[arg-type]

    async def deliveries_worker(own: OwnLoop) -> None:
        try:
            await delivering(own)
        finally:
            await accepted.close()
            await handovers.close()

    async def digests(runtime: Runtime) -> int:
        await send_due_digests(
            of_this_service(runtime.unit_of_work), smtp, now=datetime.now(UTC), send_at=settings.digest_at
        )
        return 0  # all due digests are done in one pass

    return ServiceSpec(
        name=SERVICE,
        migrations=MIGRATION_DIRS,
        routes=routes(settings, secrets_key),
        uow_factory=uow_factory or (lambda pool: lambda: NotificationsUnitOfWork(pool)),
        on_start=[seal_plain_secrets, seed_staff],
        workers=[on_own_loop(deliveries_worker), every(settings.digest_check_seconds, digests, "digests")],
        http_routes=http.ROUTES,
        description=http.DESCRIPTION,
    )
