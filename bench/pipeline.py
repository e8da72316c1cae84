"""hubnet's own pipeline on the local stack: partner commands → referrals (stored, fact through the
outbox) → notifications (inbox entry, mail accepted by an SMTP server in this process).

The three services run as their own processes with fresh databases and topics of their own. A
referral to BRG at Hjällbo makes one `referral.requested` fact and a mail to each of BRG's staff
who receive referrals; the first of those mails is what "delivered" means here.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller
from hubnet_common.local.services import LocalServices
from hubnet_common.local.watch import TopicWatcher
from hubnet_common.messages.referral_events import ReferralRequested
from hubnet_common.partner import PartnerClient
from hubnet_common.topics import REFERRAL_EVENTS

from tests.conftest import free_port
from tests.integration.referral_steps import accepted, consent, referral

SENDER = "bostadsbolaget"


class AcceptTimes:
    """aiosmtpd handler: when the first mail about each referral was accepted."""

    def __init__(self) -> None:
        self.first: dict[str, float] = {}
        self.mails = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        now = time.monotonic()
        self.mails += 1
        found = re.search(rb"R-b-[0-9a-f]+", envelope.original_content or b"")
        if found:
            self.first.setdefault(found.group().decode(), now)
        return "250 OK"


@dataclass
class Timeline:
    """When each referral's command was sent, its fact seen on Kafka and its first mail accepted."""

    sent: dict[str, float] = field(default_factory=dict)
    published: dict[str, float] = field(default_factory=dict)


@asynccontextmanager
async def running_network(bootstrap: str, databases: dict[str, str], prefix: str, log_dir):
    """The three services, an SMTP server and a watcher of referral facts."""
    times = AcceptTimes()
    smtp = Controller(times, hostname="127.0.0.1", port=free_port())
    smtp.start()
    local = LocalServices(log_dir=log_dir, databases=databases, ports={name: free_port() for name in databases},
                          extra_env={"HUBNET_GROUP_PREFIX": f"{prefix}hubnet", "HUBNET_SMTP_PORT": str(smtp.port),
                                     "HUBNET_LOG_LEVEL": "WARNING"})
    try:
        ready = await asyncio.to_thread(local.start_all)
        async with TopicWatcher(bootstrap, [REFERRAL_EVENTS]) as watcher, PartnerClient(bootstrap, SENDER) as client:
            yield Network(local, ready, times, watcher, client)
    finally:
        await asyncio.to_thread(local.stop_all)
        smtp.stop()


@dataclass
class Network:
    local: LocalServices
    ready: dict[str, float]
    mail: AcceptTimes
    watcher: TopicWatcher
    client: PartnerClient

    async def consent(self) -> str:
        given = consent()
        accepted(await self.client.request(given))
        return given.consent_id

    async def offer(self, consent_id: str, rate: float, seconds: float) -> Timeline:
        """Send CreateReferral commands at `rate` per second for `seconds` (each without waiting
        for the one before, as many partner systems would)."""
        timeline, sending = Timeline(), []
        began = time.monotonic()
        for i in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, began + i / rate - time.monotonic()))
            command = referral(consent_id, referral_id=f"R-b-{uuid.uuid4().hex[:16]}")
            timeline.sent[command.referral_id] = time.monotonic()
            sending.append(asyncio.create_task(self.client.send(command)))
        await asyncio.gather(*sending)
        return timeline

    async def drain(self, timeline: Timeline, timeout: float) -> None:
        """Wait until every referral has its mail, or `timeout`; note when each fact was seen."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not timeline.sent.keys() <= self.mail.first.keys():
            await asyncio.sleep(0.2)
        for seen in self.watcher.seen:
            if isinstance(seen.body, ReferralRequested) and seen.key in timeline.sent:
                timeline.published.setdefault(seen.key, seen.at)
