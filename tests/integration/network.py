"""The referrals, events and notifications services in this process, each on its own database."""

from contextlib import asynccontextmanager

from hubnet_events import bootstrap as events
from hubnet_events.settings import EventSettings
from hubnet_notifications import bootstrap as notifications
from hubnet_notifications.settings import NotificationSettings
from hubnet_referrals import bootstrap as referrals
from hubnet_referrals.settings import ReferralSettings
from tests.conftest import fresh_group_prefix
from tests.integration.conftest import running

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
    dsns = [await new_database(name) for name in ("referrals", "events", "notifications")]
    common = dict(kafka_bootstrap=kafka_bootstrap, group_prefix=fresh_group_prefix(label)) | common
    settings = (
        ReferralSettings(pg_dsn=dsns[0], **common),
        EventSettings(pg_dsn=dsns[1], **common),
        NotificationSettings(pg_dsn=dsns[2], smtp_port=smtp_port, **common, **(notification_settings or {})),
    )
    async with (
        running(referrals.spec(settings[0]), settings[0]),
        running(events.spec(settings[1]), settings[1]),
        running(notifications.spec(settings[2]), settings[2]),
    ):
        yield dsns
