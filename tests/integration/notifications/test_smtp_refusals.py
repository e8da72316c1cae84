"""What the notifications service makes of a mail server that refuses (README.md: "permanent ones
(5xx from SMTP …) are recorded and published as `notification.failed`"; transient ones are
retried): a mailbox refused with 550 fails at the first attempt and is not tried again; one
refused with 451 is tried again and delivered. Against the real broker and PostgreSQL, with a real
SMTP server (aiosmtpd) in this process that answers as a mail server would."""

import threading
import uuid
from datetime import UTC, datetime

import pytest
from aiosmtpd.controller import Controller

from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.identity import service_source
from hubnet_common.sdk.messages.notification_events import NotificationDelivered, NotificationFailed
from hubnet_common.sdk.messages.referral_events import ReferralRequested
from hubnet_notifications import bootstrap
from hubnet_notifications.settings import NotificationSettings
from tests.conftest import free_port, fresh_group_prefix
from tests.integration.conftest import publish_facts, rows, running

pytestmark = pytest.mark.integration
GONE, GREYLISTED = "sara.nilsson@brg.example.org", "johan.berg@brg.example.org"


class MailServer:
    """Refuses GONE for good, and GREYLISTED the first time it is offered; accepts the rest."""

    def __init__(self) -> None:
        self.offered: list[str] = []
        self.accepted: list[str] = []
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        with self._lock:
            self.offered.append(address)
            if address == GONE:
                return "550 5.1.1 Mailbox unavailable"
            if address == GREYLISTED and self.offered.count(address) == 1:
                return "451 4.7.1 Greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        with self._lock:
            self.accepted += envelope.rcpt_tos
        return "250 OK"


@pytest.fixture
def mail_server():
    handler, port = MailServer(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


async def test_a_5xx_fails_at_once_and_a_4xx_is_tried_again_until_delivered(
    new_database, kafka_bootstrap, mail_server, watcher
):
    server, port = mail_server
    dsn = await new_database("notifications")
    settings = NotificationSettings(
        pg_dsn=dsn,
        kafka_bootstrap=kafka_bootstrap,
        group_prefix=fresh_group_prefix("it"),
        smtp_port=port,
        base_url="https://hubnet.test",
    )
    fact = ReferralRequested(
        referral_id=f"R-smtp-{uuid.uuid4().hex[:8]}",
        version=1,
        status="requested",
        sender_partner_id="bostadsbolaget",
        receiver_partner_id="brg",
        service_id="brg-business-coaching",
        hub_id="hjallbo",
        actor_partner_id="bostadsbolaget",
        at=datetime.now(UTC),
        participant_ref="ab" * 32,
        purpose="own-business",
        consent_id="C-smtp",
    )
    envelope = Envelope.new(type=fact.ce_type, source=service_source("referrals"), subject=fact.referral_id)
    async with running(bootstrap.spec(settings), settings):
        await publish_facts(kafka_bootstrap, [(fact, envelope)])
        failed = await watcher.wait_for(
            lambda s: (
                isinstance(s.body, NotificationFailed)
                and s.body.source_id == envelope.id
                and s.body.recipient_id == "brg-sara"
            )
        )
        delivered = await watcher.wait_for(
            lambda s: (
                isinstance(s.body, NotificationDelivered)
                and s.body.source_id == envelope.id
                and s.body.recipient_id == "brg-johan"
                and s.body.channel == "email"
            ),
            timeout=30,
        )
    assert failed.body.channel == "email" and failed.body.attempts == 1 and failed.body.reason == "smtp-refused"
    assert delivered.body.attempts == 2
    assert server.offered.count(GONE) == 1  # refused for good: never offered again
    assert server.accepted.count(GREYLISTED) == 1 and GONE not in server.accepted
    [sara] = await rows(
        dsn,
        "SELECT status, attempts FROM notifications WHERE source_id = $1 AND channel = 'email'"
        " AND recipient_id = 'brg-sara'",
        envelope.id,
    )
    assert (sara["status"], sara["attempts"]) == ("failed", 1)
