"""hubnet's own pipeline on the local stack: partner commands → referrals (stored, fact through the
outbox) → notifications (inbox entry, mail accepted by an SMTP server in a process of its own).

The three services run as their own processes with fresh databases and topics of their own. A
referral to BRG at Hjällbo makes one `referral.requested` fact and a mail to each of BRG's staff
who receive referrals; the first of those mails is what "delivered" means here.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from bench.smtp_sink import SinkProcess
from hubnet_common.ops.local.partners import LocalPartnerClient
from hubnet_common.ops.local.services import LocalServices
from hubnet_common.ops.local.watch import TopicWatcher
from hubnet_common.sdk.messages.referral_events import ReferralRequested
from hubnet_common.sdk.topics import REFERRAL_EVENTS
from tests.conftest import free_port
from tests.integration.referral_steps import accepted, consent, referral

SENDER = "bostadsbolaget"
LOG_LEVEL_VAR = "HUBNET_BENCH_LOG_LEVEL"
START_TIMEOUT_S = 180.0  # three services starting together on a busy machine can take a minute


class MailSink(SinkProcess):
    """The bench's SMTP server: `first[referral id]` is when the first mail about each referral
    was accepted, `mails` how many were."""

    def __init__(self) -> None:
        super().__init__(free_port())
        self.first = self.first_about

    async def __aenter__(self) -> MailSink:
        await self.start()
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.stop()


@dataclass
class Timeline:
    """When (`time.time()`) each referral's command was sent and its fact published (the record's
    timestamp, taken by the referrals service's producer)."""

    sent: dict[str, float] = field(default_factory=dict)
    published: dict[str, float] = field(default_factory=dict)


def service_env(prefix: str) -> dict[str, str]:
    """What every service the bench starts is given: its consumer groups' prefix and its log level
    (`--log-level`; WARNING unless told, so that a line per record is not what is measured)."""
    return {"HUBNET_GROUP_PREFIX": f"{prefix}hubnet", "HUBNET_LOG_LEVEL": os.environ.get(LOG_LEVEL_VAR, "WARNING")}


@asynccontextmanager
async def running_network(bootstrap: str, databases: dict[str, str], prefix: str, log_dir):
    """The three services, an SMTP server and a watcher of referral facts."""
    async with MailSink() as mail:
        local = LocalServices(
            log_dir=log_dir,
            databases=databases,
            ports={name: free_port() for name in databases},
            extra_env={
                **service_env(prefix),
                "HUBNET_SMTP_PORT": str(mail.port),
            },
        )
        try:
            ready = await asyncio.to_thread(local.start_all, START_TIMEOUT_S)
            watching = TopicWatcher(bootstrap, [REFERRAL_EVENTS], types={ReferralRequested.ce_type})
            async with watching as watcher, LocalPartnerClient(bootstrap, SENDER) as client:
                yield Network(local, ready, mail, watcher, client)
        finally:
            await asyncio.to_thread(local.stop_all)


@dataclass
class Network:
    local: LocalServices
    ready: dict[str, float]
    mail: MailSink
    watcher: TopicWatcher
    client: LocalPartnerClient

    async def consent(self) -> str:
        given = consent()
        accepted(await self.client.request(given))
        return given.consent_id

    async def offer(self, consent_id: str, rate: float, seconds: float) -> Timeline:
        return await offer(self.client, consent_id, rate, seconds)

    async def drain(self, timeline: Timeline, timeout: float) -> None:
        """Wait until every referral has its mail, or `timeout`; note when each fact was published."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not timeline.sent.keys() <= self.mail.first.keys():
            await asyncio.sleep(0.2)
        for seen in self.watcher.seen:
            if isinstance(seen.body, ReferralRequested) and seen.key in timeline.sent:
                timeline.published.setdefault(seen.key, seen.published)


async def offer(client: LocalPartnerClient, consent_id: str, rate: float, seconds: float) -> Timeline:
    """Send CreateReferral commands at `rate` per second for `seconds` (each without waiting for
    the one before, as many partner systems would)."""
    timeline, sending = Timeline(), []
    began = time.time()
    for i in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, began + i / rate - time.time()))
        command = referral(consent_id, referral_id=f"R-b-{uuid.uuid4().hex[:16]}")
        timeline.sent[command.referral_id] = time.time()
        sending.append(asyncio.create_task(client.send(command)))
    await asyncio.gather(*sending)
    return timeline
