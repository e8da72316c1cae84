"""The demo of `make run`, a full closed loop on the real services:

1. BRG and Bostadsbolaget publish their encryption keys; a hub host of Bostadsbolaget at the Hjällbo
   hub records a resident's consent (the referrals service makes the resident's data key and seals
   a copy to each of them), fetches its copy, seals the contact details and need under it and
   refers the resident to BRG's business coaching.
2. BRG acknowledges, accepts, starts and completes it with the outcome "own business"; the sender
   is told at each step. BRG opens the contact details with its own copy of the data key.
3. A second referral is declined (no capacity); a third is refused for want of consent.
4. Familjebostäder schedules an information evening at Bergsjön with two places; its hub host is
   told; three residents register (one waits), a cancellation promotes the waiting one, and
   attendance is recorded.
5. A command that is not JSON is refused; the follow-up report is printed.
6. The resident asks to be forgotten: their data key is destroyed, and BRG can no longer open
   anything about them.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hubnet_common.ops.identity import read_staff
from hubnet_common.ops.local.identities import issuer, operator_tokens, partner_tokens, staff_login
from hubnet_common.ops.local.mail import kept_mails, wait_for_mail
from hubnet_common.ops.local.partners import LocalPartnerClient
from hubnet_common.ops.local.services import PORTALS, LocalServices, portal_address
from hubnet_common.ops.local.watch import TopicWatcher
from hubnet_common.sdk.data_key import DataKeyMissing, fetch_data_key
from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.identity import partner_source
from hubnet_common.sdk.keys import read_key
from hubnet_common.sdk.messages import hubevent_commands as c_ev
from hubnet_common.sdk.messages import referral_commands as c
from hubnet_common.sdk.messages.directory_commands import UpdatePartner
from hubnet_common.sdk.messages.hubevent_commands import ScheduleHubEvent
from hubnet_common.sdk.messages.hubevent_events import (
    AttendanceRecorded,
    HubEventScheduled,
    RegistrationConfirmed,
    RegistrationWaitlisted,
    WaitlistPromoted,
)
from hubnet_common.sdk.messages.notification_events import NotificationDelivered
from hubnet_common.sdk.messages.referral_events import ParticipantErased, ReferralRequested
from hubnet_common.sdk.messages.vocabulary import ConsentMethod, MainActivity, Purpose, ReasonCode
from hubnet_common.sdk.participant import custodian_public_key, seal_personnummer
from hubnet_common.sdk.sealing import ContactDetails, open_contact, seal_with_data_key
from hubnet_common.sdk.tokens import ClientCredentials
from hubnet_common.sdk.topics import HUB_EVENT_EVENTS, NOTIFICATION_EVENTS, REFERRAL_EVENTS
from hubnet_common.sdk.trust import trusted_service_keys
from hubnet_common.service.settings import Settings

# A made-up resident (a valid check digit, no real person). Partners send the number only sealed
# to the referrals service, which answers with the resident's participant_ref.
DEMO_PERSONNUMMER = "19900101-0017"
EVENING_RESIDENTS = ("19850312-1231", "19920615-4560", "19780101-9873")
DEMO_CONTACT = ContactDetails(
    name="Demo Person", phone="070-000 00 00", language="ar", note="Föredrar samtal på förmiddagen."
)


class Steps:
    def __init__(self) -> None:
        self.began = time.monotonic()

    def start(self, title: str) -> None:
        print(f"\n== {title}", flush=True)
        self.began = time.monotonic()

    def say(self, who: str, what: str) -> None:
        print(f"  [{time.monotonic() - self.began:6.3f}s] {who:<15} {what}", flush=True)


class Demo:
    def __init__(self, settings: Settings, mail_dir: Path, keys_dir: Path, watch: TopicWatcher) -> None:
        self.settings, self.mail_dir, self.keys_dir, self.watch = settings, mail_dir, keys_dir, watch
        self.steps = Steps()
        self.ref = ""  # the demo resident's participant_ref, as the referrals service answers it

    async def run(self) -> None:
        bootstrap = self.settings.kafka_bootstrap
        async with (
            LocalPartnerClient(bootstrap, "bostadsbolaget") as sender,
            LocalPartnerClient(bootstrap, "brg") as brg,
        ):
            referral_id = await self.refer(sender, brg)
            await self.inbox_of_sara(referral_id)
            await self.work_the_case(brg, referral_id)
            await self.decline_and_refuse(sender, brg)
            async with LocalPartnerClient(bootstrap, "familjebostader") as familjebostader:
                await self.hub_event(familjebostader)
                await self.not_json(familjebostader)
            self.report()
            await self.erase(sender, referral_id)

    async def refer(self, sender: LocalPartnerClient, brg: LocalPartnerClient) -> str:
        self.steps.start("A hub host of Bostadsbolaget at Hjällbo refers a resident to BRG's business coaching")
        for partner, client in (("brg", brg), ("bostadsbolaget", sender)):
            self.answer(
                partner,
                "publishes its encryption key",
                await client.request(UpdatePartner(partner_id=partner, encryption_public_key=self.public_key(partner))),
            )
        consent = self.consent()
        recorded = await sender.request(consent)
        self.answer("bostadsbolaget", f"records written consent {consent.consent_id}", recorded)
        self.ref = getattr(recorded, "participant_ref", None) or ""
        self.steps.say("bostadsbolaget", "sent the personnummer sealed to the referrals service; got participant_ref")
        data_key = await self.data_key("bostadsbolaget")
        self.steps.say("bostadsbolaget", "fetched its copy of the resident's data key from GET /data-key, opened it")
        command = c.CreateReferral(
            service_id="brg-business-coaching",
            hub_id="hjallbo",
            purpose=Purpose.OWN_BUSINESS,
            participant_ref=self.ref,
            consent_id=consent.consent_id,
            sealed_contact=seal_with_data_key(DEMO_CONTACT, data_key),
            need=seal_with_data_key("Vill starta en cateringfirma och behöver hjälp med affärsplan.", data_key),
        )
        self.steps.say(
            "bostadsbolaget",
            f"sends CreateReferral {command.referral_id} (participant_ref; contact and need sealed under the data key)",
        )
        self.answer("referrals", "answers on partner.bostadsbolaget.replies.v1", await sender.request(command))
        fact = await self.watch.wait_for(
            lambda s: isinstance(s.body, ReferralRequested) and s.key == command.referral_id
        )
        self.steps.say("referrals", f"published {fact.envelope.type} (version {fact.body.version}) via its outbox")
        await self.deliveries(fact.envelope.id)
        return command.referral_id

    async def work_the_case(self, brg: LocalPartnerClient, referral_id: str) -> None:
        self.steps.start("BRG works the case; the sender is told at each step")
        outcome = c.OutcomeReport(main_activity=MainActivity.OWN_BUSINESS, public_support_continues=False)
        for step, told in (
            (c.AcknowledgeReferral(referral_id=referral_id, expected_version=1), "har tagits emot"),
            (c.AcceptReferral(referral_id=referral_id), "har accepterats"),
            (c.StartReferral(referral_id=referral_id), "pågår"),
            (c.CompleteReferral(referral_id=referral_id, outcome=outcome), "är avslutad"),
        ):
            self.answer("brg", type(step).__name__, await brg.request(step))
            mail = await wait_for_mail(
                self.mail_dir, f"{referral_id} {told}", to="amina.hassan@bostadsbolaget.example.org"
            )
            self.steps.say("notifications", f'told the sender: "{mail.subject}"')
        details = await self.opened_by_brg(referral_id)
        self.steps.say("brg", f"opens the contact details with its copy of the data key: {details}")

    async def decline_and_refuse(self, sender: LocalPartnerClient, brg: LocalPartnerClient) -> None:
        self.steps.start("BRG declines a second referral for want of capacity; a third has no consent")
        consent = self.consent()
        await sender.request(consent)
        second = c.CreateReferral(
            service_id="brg-business-coaching",
            hub_id="hjallbo",
            purpose=Purpose.OWN_BUSINESS,
            participant_ref=self.ref,
            consent_id=consent.consent_id,
        )
        self.answer("bostadsbolaget", f"CreateReferral {second.referral_id}", await sender.request(second))
        self.answer(
            "brg", "AcknowledgeReferral", await brg.request(c.AcknowledgeReferral(referral_id=second.referral_id))
        )
        self.answer(
            "brg",
            "RejectReferral (no-capacity)",
            await brg.request(c.RejectReferral(referral_id=second.referral_id, reason_code=ReasonCode.NO_CAPACITY)),
        )
        mail = await wait_for_mail(self.mail_dir, f"{second.referral_id} har avböjts")
        self.steps.say("notifications", f'told the sender: "{mail.subject}"')
        third = c.CreateReferral(
            service_id="arbvux-sfi-guidance",
            hub_id="hjallbo",
            purpose=Purpose.STUDIES,
            participant_ref=self.ref,
            consent_id=consent.consent_id,
        )
        self.answer(
            "referrals", "CreateReferral to SFI guidance (consent covers BRG only)", await sender.request(third)
        )

    async def hub_event(self, familjebostader: LocalPartnerClient) -> None:
        self.steps.start("Familjebostäder schedules an information evening at the Bergsjön hub (2 places)")
        starts = (datetime.now(UTC) + timedelta(days=7)).replace(hour=16, minute=0, second=0, microsecond=0)
        event = ScheduleHubEvent(
            hub_id="bergsjon",
            kind="information-evening",
            capacity=2,
            title="Informationskväll: vuxenutbildning och SFI",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
        )
        self.answer("familjebostader", f"ScheduleHubEvent {event.hub_event_id}", await familjebostader.request(event))
        fact = await self.watch.wait_for(
            lambda s: isinstance(s.body, HubEventScheduled) and s.key == event.hub_event_id
        )
        self.steps.say("events", f"published {fact.envelope.type} via its outbox")
        await self.deliveries(fact.envelope.id)
        residents = [await self.ref_of(familjebostader, "familjebostader", number) for number in EVENING_RESIDENTS]
        for n, ref in enumerate(residents, 1):
            await familjebostader.request(
                c_ev.RegisterForHubEvent(hub_event_id=event.hub_event_id, participant_ref=ref)
            )
            await self.watch.wait_for(lambda _seen, n=n: _placements(self.watch, event.hub_event_id) >= n)  # type: ignore[misc]
            placed = [x for x in self.watch.seen if _is_placement(x, event.hub_event_id)][n - 1]
            where = (
                "a place"
                if isinstance(placed.body, RegistrationConfirmed)
                else f"waitlist position {placed.body.waitlist_position}"
            )
            self.steps.say("events", f"resident {n} registered: {where}")
        await familjebostader.request(
            c_ev.CancelRegistration(hub_event_id=event.hub_event_id, participant_ref=residents[0])
        )
        promoted = await self.watch.wait_for(
            lambda s: isinstance(s.body, WaitlistPromoted) and s.body.hub_event_id == event.hub_event_id
        )
        self.steps.say("events", f"resident 1 cancelled; {promoted.envelope.type}: the first waiting got the place")
        self.answer(
            "familjebostader",
            "RecordAttendance (2 came, 3 walk-ins)",
            await familjebostader.request(
                c_ev.RecordAttendance(hub_event_id=event.hub_event_id, attended=residents[1:], walk_ins=3)
            ),
        )
        came = await self.watch.wait_for(
            lambda s: isinstance(s.body, AttendanceRecorded) and s.body.hub_event_id == event.hub_event_id
        )
        self.steps.say(
            "events",
            f"attendance: {came.body.attended} of {came.body.registered} registered, {came.body.walk_ins} walk-ins",
        )
        self.steps.say("events", "calendar feed: http://127.0.0.1:8182/calendar.ics?hub=bergsjon")

    async def not_json(self, partner: LocalPartnerClient) -> None:
        self.steps.start("A partner system sends a command that is not JSON")
        envelope = Envelope.new(
            type=c.CreateReferral.ce_type,
            source=partner_source("familjebostader"),
            subject=f"R-broken-{secrets.token_hex(4)}",
        )
        self.answer(
            "referrals",
            "answers",
            await partner.request_raw(c.CreateReferral.topic, b"{not json", envelope, key=envelope.subject),
        )

    async def inbox_of_sara(self, referral_id: str) -> None:
        self.steps.start("Sara at BRG logs in (Keycloak's login page, code flow with PKCE) and reads her inbox")
        tokens = await asyncio.to_thread(staff_login, "brg-sara", "brg")
        self.steps.say("keycloak", "gave Sara a token: partner brg, staff_id brg-sara, her roles; no name, no e-mail")
        url = f"{self.settings.notifications_url}/inbox?size=50"
        inbox = json.loads(await asyncio.to_thread(read_url, url, BearerToken(tokens["access_token"])))
        mentioned = sum(referral_id in item["subject"] for item in inbox["items"])
        self.steps.say(
            "notifications", f"GET /inbox as brg-sara: {inbox['unread']} unread, {mentioned} about the new referral"
        )

    def report(self) -> None:
        self.steps.start("Follow-up per hub (cells under 5 suppressed and left out of the totals), from GET /report")
        url = f"{self.settings.referrals_url}/report?group_by=hub&format=table"
        print("    " + read_url(url, operator_tokens()).replace("\n", "\n    ").rstrip())

    def sealed(self, number: str) -> str:
        return seal_personnummer(number, custodian_public_key(self.keys_dir))

    async def ref_of(self, partner: LocalPartnerClient, partner_id: str, number: str) -> str:
        """A resident's ref, as a partner gets it: recording their consent (to its own guidance)."""
        given = self.consent(number, partner_ids=[partner_id], purposes=[Purpose.GUIDANCE])
        return getattr(await partner.request(given), "participant_ref", None) or ""

    def consent(
        self, number: str = DEMO_PERSONNUMMER, partner_ids=("brg",), purposes=(Purpose.OWN_BUSINESS,)
    ) -> c.RecordConsent:
        now = datetime.now(UTC)
        return c.RecordConsent(
            sealed_personnummer=self.sealed(number),
            partner_ids=list(partner_ids),
            purposes=list(purposes),
            method=ConsentMethod.WRITTEN,
            noted_by="Amina Hassan",
            given_at=now,
            valid_until=now + timedelta(days=365),
        )

    async def erase(self, sender: LocalPartnerClient, referral_id: str) -> None:
        self.steps.start("The resident asks Bostadsbolaget to be forgotten")
        ref = self.ref
        erase = c.EraseParticipant(sealed_personnummer=self.sealed(DEMO_PERSONNUMMER), noted_by="Amina Hassan")
        self.answer("bostadsbolaget", "EraseParticipant (the personnummer sealed)", await sender.request(erase))
        fact = await self.watch.wait_for(lambda s: isinstance(s.body, ParticipantErased) and s.key == ref)
        self.steps.say(
            "referrals",
            f"destroyed every copy of the data key, scrubbed {len(fact.body.referral_ids)} "
            f"referral(s), published {fact.envelope.type}",
        )
        try:
            await self.opened_by_brg(referral_id)
        except DataKeyMissing as missing:
            self.steps.say("brg", f"can no longer open anything about the resident: {missing}")

    def public_key(self, partner_id: str) -> str:
        return read_key(self.keys_dir / f"partner-{partner_id}.x25519.pub")

    async def data_key(self, partner_id: str) -> bytes:
        private = read_key(self.keys_dir / f"partner-{partner_id}.x25519.key")
        return await asyncio.to_thread(
            fetch_data_key,
            self.settings.referrals_url,
            self.ref,
            partner_id,
            private,
            service_keys=trusted_service_keys(self.keys_dir),
            tokens=partner_tokens(partner_id),
        )

    async def opened_by_brg(self, referral_id: str) -> str:
        data_key = await self.data_key("brg")
        url = f"{self.settings.referrals_url}/referral?id={referral_id}"
        sealed = json.loads(await asyncio.to_thread(read_url, url, partner_tokens("brg")))["sealed_contact"]
        opened = open_contact(sealed, data_key)
        return f"name, phone, language={opened.language} (shown only here, never on Kafka or in logs)"

    async def deliveries(self, source_id: str) -> None:
        """Each staff member mailed about a fact, as the SMTP server kept the mail (their inbox entries
        are made with the fact and not announced)."""
        await self.watch.wait_for(
            lambda s: (
                isinstance(s.body, NotificationDelivered)
                and s.body.source_id == source_id
                and s.body.channel == "email"
            )
        )
        await asyncio.sleep(0.3)  # the other recipients' deliveries arrive together
        done = [
            s.body
            for s in self.watch.seen
            if isinstance(s.body, NotificationDelivered) and s.body.source_id == source_id
        ]
        mails = {m.message_id: m for m in kept_mails(self.mail_dir)}
        for d in done:
            if d.channel == "email" and (mail := mails.get(f"<{d.notification_id}@hubnet>")):
                self.steps.say("smtp sink", f'mail to {mail.to} (attempt {d.attempts}): "{mail.subject}"')

    def answer(self, who: str, what: str, reply) -> None:
        verdict = "accepted" if reply.ce_type.endswith("accepted.v1") else f"refused [{reply.code}] {reply.reason}"
        self.steps.say(who, f"{what}: {verdict}")


def _is_placement(seen, hub_event_id: str) -> bool:
    return (
        isinstance(seen.body, (RegistrationConfirmed, RegistrationWaitlisted))
        and seen.body.hub_event_id == hub_event_id
    )


def _placements(watch: TopicWatcher, hub_event_id: str) -> int:
    return sum(_is_placement(x, hub_event_id) for x in watch.seen)


def run_demo(*, once: bool) -> int:
    settings = Settings()
    mail_dir = Path(os.environ.get("HUBNET_MAIL_DIR", ".local/mail/inbox"))
    services = LocalServices(log_dir=Path(".local/logs"), portals=dict(PORTALS))
    print(
        "Starting referrals, events, notifications and the staff portals (logs in .local/logs/<name>.log) …",
        flush=True,
    )
    with services:
        for name, seconds in services.ready_after.items():
            print(f"  {name:<22} ready after {seconds:.1f}s")
        asyncio.run(_drive(settings, mail_dir))
        print(f"\nDemo done. Mails are in {mail_dir}; logs in .local/logs.")
        print(
            f"Logins (Keycloak, {issuer()}/account): each staff member by id, e.g. sm-maria or brg-sara,"
            " password in .local/keycloak/secrets/<id>; partner systems as the client partner-<id>."
        )
        print("Staff portals (the mails to their staff link into them):")
        for partner, port in PORTALS.items():
            staff = ", ".join(member.id for member in read_staff() if member.partner_id == partner)
            print(f"  {partner:<15} {portal_address(port)}/inbox   log in as {staff}")
        if not once:
            print("The services keep running; press Ctrl-C to stop them.", flush=True)
            try:
                signal.pause()
            except KeyboardInterrupt:
                pass
    print("Services stopped.")
    return 0


async def _drive(settings: Settings, mail_dir: Path) -> None:
    async with TopicWatcher(
        settings.kafka_bootstrap, [REFERRAL_EVENTS, HUB_EVENT_EVENTS, NOTIFICATION_EVENTS]
    ) as watch:
        if settings.keys_dir is None:
            raise SystemExit("hubnet demo needs HUBNET_KEYS_DIR (make run sets it)")
        await Demo(settings, mail_dir, settings.keys_dir, watch).run()


class BearerToken:
    """A token in hand (a staff member's), for `read_url` like a client's `ClientCredentials`."""

    def __init__(self, token: str) -> None:
        self._token = token

    def authorization(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self._token}"}


def read_url(url: str, tokens: ClientCredentials | BearerToken) -> str:
    request = urllib.request.Request(url, headers=tokens.authorization())
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read().decode()
