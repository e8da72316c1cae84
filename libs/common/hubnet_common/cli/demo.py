"""The demo of `make run`: a hub host of Bostadsbolaget at the Hjällbo hub refers a resident to
Business Region Göteborg's business coaching; BRG's staff get the mail; a hub event is scheduled at
Bergsjön and its hub host is told; a malformed command is refused. Each step is printed as it
happens, with the service that did it and the time since the step began."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hubnet_common.envelope import Envelope, partner_source
from hubnet_common.local.mail import wait_for_mail
from hubnet_common.local.services import LocalServices
from hubnet_common.local.watch import Seen, TopicWatcher
from hubnet_common.messages.hubevent_commands import ScheduleHubEvent
from hubnet_common.messages.hubevent_events import HubEventScheduled
from hubnet_common.messages.notification_events import NotificationDelivered
from hubnet_common.messages.referral_commands import CreateReferral, RecordConsent
from hubnet_common.messages.referral_events import ReferralRequested
from hubnet_common.messages.vocabulary import ConsentMethod, Purpose
from hubnet_common.participant import participant_ref
from hubnet_common.partner import PartnerClient
from hubnet_common.settings import Settings
from hubnet_common.topics import HUBEVENT_EVENTS, NOTIFICATION_EVENTS, REFERRAL_EVENTS

# The demo's network key and a made-up test personnummer (a valid check digit, no real person).
DEMO_NETWORK_KEY = b"hubnet-demo-network-key"
DEMO_PERSONNUMMER = "19900101-0017"


class Steps:
    def __init__(self) -> None:
        self.began = time.monotonic()

    def start(self, title: str) -> None:
        print(f"\n== {title}", flush=True)
        self.began = time.monotonic()

    def say(self, who: str, what: str) -> None:
        print(f"  [{time.monotonic() - self.began:6.3f}s] {who:<14} {what}", flush=True)


async def drive(settings: Settings, mail_dir: Path) -> None:
    steps = Steps()
    topics = [REFERRAL_EVENTS, HUBEVENT_EVENTS, NOTIFICATION_EVENTS]
    async with TopicWatcher(settings.kafka_bootstrap, topics) as watch:
        async with PartnerClient(settings.kafka_bootstrap, "bostadsbolaget") as bostadsbolaget:
            steps.start("A hub host of Bostadsbolaget at Hjällbo refers a resident to BRG's business coaching")
            resident = participant_ref(DEMO_PERSONNUMMER, DEMO_NETWORK_KEY)
            now = datetime.now(UTC)
            consent = RecordConsent(
                participant_ref=resident, partner_ids=["brg"], purposes=[Purpose.OWN_BUSINESS],
                method=ConsentMethod.WRITTEN, noted_by="Amina Hassan", given_at=now,
                valid_until=now + timedelta(days=365),
            )
            reply = await bostadsbolaget.request(consent)
            steps.say("referrals", f"recorded consent {consent.consent_id}: {_reply_text(reply)}")
            command = CreateReferral(
                service_id="brg-business-coaching", hub_id="hjallbo", purpose=Purpose.OWN_BUSINESS,
                participant_ref=resident, consent_id=consent.consent_id,
                need="Vill starta en cateringfirma och behöver hjälp med affärsplan.",
            )
            steps.say("bostadsbolaget", f"sends CreateReferral {command.referral_id} (participant_ref only)")
            reply = await bostadsbolaget.request(command)
            steps.say("referrals", f"answered on referral.replies.v1: {_reply_text(reply)}")
            fact = await watch.wait_for(lambda s: _about(s, ReferralRequested, command.referral_id))
            steps.say("referrals", f"published {fact.envelope.type} (version {fact.body.version}) via its outbox")
            await _deliveries(watch, steps, fact)
            mail = await wait_for_mail(mail_dir, command.referral_id)
            steps.say("smtp sink", f"kept {mail.path.name} to {mail.to}: \"{mail.subject}\"")

        async with PartnerClient(settings.kafka_bootstrap, "familjebostader") as familjebostader:
            steps.start("Familjebostäder schedules an employer meetup at the Bergsjön hub")
            starts = (datetime.now(UTC) + timedelta(days=7)).replace(hour=15, minute=0, second=0, microsecond=0)
            event = ScheduleHubEvent(
                hub_id="bergsjon", kind="employer-meetup", title="Träffa arbetsgivare i Bergsjön",
                starts_at=starts, ends_at=starts + timedelta(hours=2), capacity=40,
            )
            steps.say("familjebostader", f"sends ScheduleHubEvent {event.hub_event_id}")
            reply = await familjebostader.request(event)
            steps.say("events", f"answered on hubevent.replies.v1: {_reply_text(reply)}")
            fact = await watch.wait_for(lambda s: _about(s, HubEventScheduled, event.hub_event_id))
            steps.say("events", f"published {fact.envelope.type} via its outbox")
            await _deliveries(watch, steps, fact)

            steps.start("A partner system sends a command that is not JSON")
            envelope = Envelope.new(type=CreateReferral.ce_type, source=partner_source("familjebostader"),
                                    subject=f"R-broken-{secrets.token_hex(4)}")
            reply = await familjebostader.request_raw(
                CreateReferral.topic, b"{not json", envelope, key=envelope.subject)
            steps.say("referrals", f"answered: {_reply_text(reply)}")


async def _deliveries(watch: TopicWatcher, steps: Steps, fact: Seen) -> None:
    for channel in ("inbox", "email"):
        seen = await watch.wait_for(
            lambda s: isinstance(s.body, NotificationDelivered) and s.body.source_id == fact.envelope.id
            and s.body.channel == channel
        )
        steps.say("notifications", f"{channel} delivered to staff {seen.body.staff_id} (attempt {seen.body.attempts})")


def _about(seen: Seen, model: type, aggregate_id: str) -> bool:
    return isinstance(seen.body, model) and seen.envelope.subject == aggregate_id


def _reply_text(reply) -> str:
    if reply.ce_type.endswith("accepted.v1"):
        return "accepted"
    return f"rejected [{reply.code}] {reply.reason}"


def run_demo(*, once: bool) -> int:
    settings = Settings()
    mail_dir = Path(os.environ.get("HUBNET_MAIL_DIR", ".local/mail/inbox"))
    services = LocalServices(log_dir=Path(".local/logs"))
    print("Starting referrals, events and notifications (logs in .local/logs/<service>.log) …", flush=True)
    with services:
        for name, seconds in services.ready_after.items():
            print(f"  {name:<14} ready on http://127.0.0.1:{services.ports[name]}/readyz after {seconds:.1f}s")
        asyncio.run(drive(settings, mail_dir))
        print(f"\nDemo done. Mails are in {mail_dir}.")
        if not once:
            print("The services keep running; press Ctrl-C to stop them.", flush=True)
            try:
                signal.pause()
            except KeyboardInterrupt:
                pass
    print("Services stopped.")
    return 0
