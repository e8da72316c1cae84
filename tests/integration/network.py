"""The referrals, events and notifications services in this process, each on its own database."""

import asyncio
import threading
from contextlib import asynccontextmanager, contextmanager

from hubnet_events import bootstrap as events
from hubnet_events.settings import EventSettings
from hubnet_notifications import bootstrap as notifications
from hubnet_notifications.settings import NotificationSettings
from hubnet_referrals import bootstrap as referrals
from hubnet_referrals.settings import ReferralSettings
from tests.conftest import fresh_group_prefix
from tests.integration.conftest import running
from tests.integration.served import serving

# What the local stack and tests allow webhooks: receivers on loopback over plain http
# (NotificationSettings.webhook_allow_private / webhook_allow_http; no Kubernetes overlay sets them).
LOCAL_WEBHOOKS = {"webhook_allow_private": True, "webhook_allow_http": True}


@asynccontextmanager
async def three_in_process(
    new_database,
    kafka_bootstrap: str,
    smtp_port: int,
    label: str,
    *,
    notification_settings: dict | None = None,
    **common,
):
    """Yields the three database DSNs (referrals, events, notifications) once all three consume;
    `notification_settings` are settings of the notifications service only."""
    dsns, settings = await _three(new_database, kafka_bootstrap, smtp_port, label, notification_settings, common)
    async with (
        running(referrals.spec(settings[0]), settings[0]),
        running(events.spec(settings[1]), settings[1]),
        running(notifications.spec(settings[2]), settings[2]),
    ):
        yield dsns


@asynccontextmanager
async def three_served(new_database, kafka_bootstrap: str, smtp_port: int, label: str, **common):
    """The same three, each serving HTTP on a port of its own: yields (DSNs, base URLs) by service name."""
    dsns, settings = await _three(new_database, kafka_bootstrap, smtp_port, label, None, common)
    async with (
        serving(referrals.spec(settings[0]), settings[0]) as (referrals_url, _),
        serving(events.spec(settings[1]), settings[1]) as (events_url, _),
        serving(notifications.spec(settings[2]), settings[2]) as (notifications_url, _),
    ):
        names = ("referrals", "events", "notifications")
        yield (
            dict(zip(names, dsns, strict=True)),
            dict(zip(names, (referrals_url, events_url, notifications_url), strict=True)),
        )


async def _three(new_database, kafka_bootstrap, smtp_port, label, notification_settings, common):
    dsns = [await new_database(name) for name in ("referrals", "events", "notifications")]
    common = dict(kafka_bootstrap=kafka_bootstrap, group_prefix=fresh_group_prefix(label)) | common
    settings = (
        ReferralSettings(pg_dsn=dsns[0], **common),
        EventSettings(pg_dsn=dsns[1], **common),
        NotificationSettings(pg_dsn=dsns[2], smtp_port=smtp_port, **common, **(notification_settings or {})),
    )
    return dsns, settings


@contextmanager
def in_a_thread(serve, timeout: float = 120.0):
    """Runs the async context manager `serve()` on an event loop of its own in another thread, and
    yields what it yields: for tests that call the services synchronously (schemathesis), which
    would otherwise block the loop the services run on."""
    loop = asyncio.new_event_loop()
    ready, outcome, stop = threading.Event(), {}, asyncio.Event()

    async def main() -> None:
        async with serve() as value:
            outcome["value"] = value
            ready.set()
            await stop.wait()

    def run() -> None:
        try:
            loop.run_until_complete(main())
        except BaseException as exc:  # noqa: BLE001 - handed to the test's thread below
            outcome["error"] = exc
            ready.set()
        finally:
            loop.close()

    thread = threading.Thread(target=run, name="served", daemon=True)
    thread.start()
    if not ready.wait(timeout):
        raise TimeoutError("the services did not start")
    if "error" in outcome:
        raise outcome["error"]
    try:
        yield outcome["value"]
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout)
