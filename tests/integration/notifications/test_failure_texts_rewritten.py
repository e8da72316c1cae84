"""Failure texts recorded before the reason codes could carry a mail server's reply (a staff
address, the server's host) or a receiver's answer; migration 0008 rewrites each stored one into
the code of its kind, as `/deliveries/failed` shows them since. On a real PostgreSQL."""

import uuid
from pathlib import Path

import pytest

import hubnet_notifications
from hubnet_common.sdk.messages.notification_events import FailureReason
from tests.integration.conftest import rows

pytestmark = pytest.mark.integration
MIGRATION = Path(hubnet_notifications.__file__).parent / "migrations/0008_failure_reason_codes.sql"
BEFORE = [
    (
        "email",
        "refused: [SMTPRecipientRefused(550, '5.1.1 <sara@brg.test>: unknown', 'sara@brg.test')]",
        "smtp-refused",
    ),
    (
        "email",
        "gave up after 8 attempts: SMTPResponseException(451, 'Greylisted at mx1.brg.internal')",
        "smtp-deferred",
    ),
    ("email", "gave up after 8 attempts: ConnectionRefusedError(111, 'Connect call failed')", "smtp-unreachable"),
    ("email", "gave up after 8 attempts: ValueError('no address for brg-gone')", "recipient-unknown"),
    ("email", "refused: not an address this mailer can send to: 'a\\r\\nb@x'", "address-invalid"),
    ("webhook", "refused: receiver answered 403", "webhook-refused"),
    ("webhook", "refused: receiver answered 301 (redirects are not followed)", "webhook-redirected"),
    ("webhook", "gave up after 8 attempts: WebhookUnavailable('receiver answered 503')", "webhook-unavailable"),
    ("webhook", "gave up after 8 attempts: WebhookUnavailable('unreachable')", "webhook-unreachable"),
    ("webhook", "refused: address not allowed", "address-not-allowed"),
    ("webhook", "refused: unsupported webhook URL: webhooks must use https", "address-invalid"),
    ("webhook", "webhook-refused", "webhook-refused"),  # a code already
]


async def test_every_stored_failure_text_becomes_a_reason_code(migrated_database):
    dsn = await migrated_database("notifications")
    for channel, text, _ in BEFORE:
        await rows(
            dsn,
            "INSERT INTO notifications (id, source_id, source_type, recipient_id, channel, subject, body, link,"
            " status, last_error) VALUES ($1, $2, 't', 'r', $3, 's', 'b', 'l', 'failed', $4)",
            uuid.uuid4(),
            text,
            channel,
            text,
        )
    await rows(dsn, MIGRATION.read_text())
    found = {
        r["source_id"]: r["last_error"] for r in await rows(dsn, "SELECT source_id, last_error FROM notifications")
    }
    assert found == {text: code for _, text, code in BEFORE}
    assert set(found.values()) <= {r.value for r in FailureReason}
