"""The three services as separate processes (`hubnet-referrals`, `-events`, `-notifications`):
a partner's command in, a staff e-mail and inbox entry out."""

import asyncio
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest

from hubnet_common.ops.local.identities import monitoring_tokens, operator_tokens, partner_tokens, staff_login
from hubnet_common.ops.local.mail import kept_mails, wait_for_mail
from hubnet_common.ops.local.partners import LocalPartnerClient
from hubnet_common.ops.local.watch import TopicWatcher
from hubnet_common.ops.partners import main_topics
from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.identity import partner_source
from hubnet_common.sdk.keys import read_key, write_key_pair
from hubnet_common.sdk.messages.directory_commands import UpdatePartner
from hubnet_common.sdk.messages.hubevent_commands import RecordAttendance, RegisterForHubEvent, ScheduleHubEvent
from hubnet_common.sdk.messages.notification_events import NotificationDelivered
from hubnet_common.sdk.messages.referral_commands import (
    AcceptReferral,
    AcknowledgeReferral,
    CompleteReferral,
    CreateReferral,
    OutcomeReport,
    StartReferral,
)
from hubnet_common.sdk.messages.referral_events import ReferralRequested
from hubnet_common.sdk.messages.vocabulary import MainActivity
from hubnet_common.sdk.sealing import ContactDetails, open_contact, seal_with_data_key
from tests.e2e.stack import data_key_of, three_services
from tests.e2e.topics import records_since
from tests.integration.conftest import eventually, rows
from tests.integration.referral_steps import accepted, consent, ref_of, referral, send_twice

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
async def services(new_database, kafka_bootstrap, mail_sink, tmp_path_factory):
    port, mail_dir = mail_sink
    logs = tmp_path_factory.mktemp("logs")
    async with three_services(new_database, kafka_bootstrap, port, logs, "e2e") as (dsns, local, start_offsets):
        yield dsns, mail_dir, local, start_offsets


async def a_referral(sender, **overrides) -> CreateReferral:
    given = consent()
    accepted(await sender.request(given))
    return referral(given.consent_id, participant_ref=ref_of(), **overrides)


async def test_a_referral_reaches_the_receiving_staff_by_mail_and_inbox(services, kafka_bootstrap):
    dsns, mail_dir, *_ = services
    async with TopicWatcher(kafka_bootstrap, list(main_topics())) as watch:
        async with LocalPartnerClient(kafka_bootstrap, "bostadsbolaget") as bostadsbolaget:
            command = await a_referral(bostadsbolaget)
            reply = await bostadsbolaget.request(command)
        assert reply.ce_type.endswith("accepted.v1")
        fact = await watch.wait_for(lambda s: isinstance(s.body, ReferralRequested) and s.key == command.referral_id)
        mail = await wait_for_mail(mail_dir, command.referral_id, to="sara.nilsson@brg.example.org")
        delivered = await watch.wait_for(
            lambda s: (
                isinstance(s.body, NotificationDelivered)
                and s.body.source_id == fact.envelope.id
                and s.body.channel == "email"
            )
        )
    assert "Hjällbo" in mail.subject and ref_of() not in mail.text
    assert delivered.envelope.source == "urn:hubnet:service:notifications"
    inbox = await rows(
        dsns["notifications"],
        "SELECT recipient_id, subject FROM notifications WHERE channel = 'inbox' AND source_id = $1",
        fact.envelope.id,
    )
    assert {r["recipient_id"] for r in inbox} == {"brg-sara", "brg-johan"}


async def test_the_same_command_twice_makes_one_referral_one_fact_one_mail(services, kafka_bootstrap):
    dsns, mail_dir, *_ = services
    async with TopicWatcher(kafka_bootstrap, list(main_topics())) as watch:
        async with LocalPartnerClient(kafka_bootstrap, "bostadsbolaget") as bostadsbolaget:
            command = await a_referral(bostadsbolaget)
            rid = command.referral_id
            envelope = Envelope.new(type=command.ce_type, source=partner_source("bostadsbolaget"), subject=rid)
            await send_twice(bostadsbolaget, command, envelope, watch)
            # Same key, same partition: answered only after the second copy was dealt with.
            later = await bostadsbolaget.request(AcknowledgeReferral(referral_id=rid))
        fact = await watch.wait_for(lambda s: isinstance(s.body, ReferralRequested) and s.key == rid)
        await eventually(
            lambda: (
                {
                    s.body.recipient_id
                    for s in watch.seen
                    if isinstance(s.body, NotificationDelivered)
                    and s.body.channel == "email"
                    and s.body.source_id == fact.envelope.id
                }
                == {"brg-sara", "brg-johan"}
            ),
            what="both staff mailed",
        )
        replies = [s.body for s in watch.seen if getattr(s.body, "command_id", None) == envelope.id]
        facts = [s for s in watch.seen if s.key == rid and s.topic == "referral.events.v1"]
    assert later.code == "not-permitted"  # only the receiver acknowledges: the sentinel changed nothing
    assert [r.ce_type for r in replies] == ["se.hubnet.command.accepted.v1"]  # one answer, not a refusal after it
    assert [type(f.body) for f in facts] == [ReferralRequested]
    assert len(await rows(dsns["referrals"], "SELECT 1 FROM referrals WHERE id = $1", rid)) == 1
    history = await rows(dsns["referrals"], "SELECT status FROM referral_history WHERE referral_id = $1", rid)
    assert [h["status"] for h in history] == ["requested"]
    mails = [m for m in kept_mails(mail_dir) if rid in m.subject]
    assert sorted(m.to for m in mails) == ["johan.berg@brg.example.org", "sara.nilsson@brg.example.org"]


async def test_a_hub_event_at_bergsjon_is_told_to_its_hub_host(services, kafka_bootstrap):
    _, mail_dir, *_ = services
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    command = ScheduleHubEvent(
        hub_id="bergsjon",
        kind="information-evening",
        title=f"Infokväll {uuid.uuid4().hex[:6]}",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        capacity=30,
    )
    async with LocalPartnerClient(kafka_bootstrap, "goteborgs-stad-arbvux") as arbvux:
        reply = await arbvux.request(command)
    assert reply.ce_type.endswith("accepted.v1")
    mail = await wait_for_mail(mail_dir, command.title)
    assert mail.to == "karin.holm@familjebostader.example.org"


async def test_a_malformed_command_is_answered_and_leaves_nothing(services, kafka_bootstrap):
    dsns, *_ = services
    envelope = Envelope.new(type=CreateReferral.ce_type, source=partner_source("brg"), subject="R-e2e-broken")
    async with LocalPartnerClient(kafka_bootstrap, "brg") as brg:
        reply = await brg.request_raw("referral.commands.v1", b'{"service_id": 42}', envelope, key="R-e2e-broken")
    assert reply.code == "invalid-body" and "service_id" in {e.field for e in reply.errors}
    assert await rows(dsns["referrals"], "SELECT 1 FROM referrals WHERE id = 'R-e2e-broken'") == []


async def test_services_log_json_lines_bound_to_the_message(services, kafka_bootstrap):
    _, _, local, _ = services
    async with LocalPartnerClient(kafka_bootstrap, "bostadsbolaget") as sender:
        reply = await sender.request(consent())
    accepted(reply)

    def processed_lines():
        log = Path(local.log_dir / "referrals.log").read_text()
        return [line for line in log.splitlines() if '"processed"' in line]

    await eventually(lambda: any(reply.command_id in line for line in processed_lines()), what="the consent logged")
    lines = processed_lines()
    assert all('"ce_id"' in line and '"trace_id"' in line and '"aggregate_id"' in line for line in lines)


# Residents as a partner system knows them. Only the reference and the sealed contact travel.
RESIDENT_NUMBER = "19851224-3174"
RESIDENT = ContactDetails(
    name="Ebba Testdotter", phone="0701234567", email="ebba.testdotter@example.net", language="so"
)
OTHER_NUMBER = "19790315-2382"
OTHER = ContactDetails(
    name="Hodan Provsdotter", phone="0739876543", email="hodan.provsdotter@example.net", language="ar"
)


async def test_the_whole_loop_with_sealed_contact_details(services, kafka_bootstrap, tmp_path):
    await the_whole_loop(services, kafka_bootstrap, tmp_path, RESIDENT_NUMBER, RESIDENT)


async def the_whole_loop(services, kafka_bootstrap, tmp_path, number: str, contact: ContactDetails) -> str:
    """Sealed contact details from consent to outcome; the referral's id."""
    dsns, mail_dir, local, _ = services
    keys = {partner: write_key_pair(tmp_path, f"partner-{partner}", "x25519") for partner in ("brg", "bostadsbolaget")}
    url = f"http://127.0.0.1:{local.ports['referrals']}"
    async with (
        LocalPartnerClient(kafka_bootstrap, "brg") as brg,
        LocalPartnerClient(kafka_bootstrap, "bostadsbolaget") as sender,
    ):
        for partner, client in (("brg", brg), ("bostadsbolaget", sender)):
            accepted(
                await client.request(
                    UpdatePartner(partner_id=partner, encryption_public_key=read_key(keys[partner][0]))
                )
            )
        given = consent(number)  # the number sealed to the referrals service, which answers the ref
        recorded = await sender.request(given)
        accepted(recorded)
        resident = recorded.participant_ref
        assert resident == ref_of(number)
        data_key = await asyncio.to_thread(
            data_key_of, url, resident, "bostadsbolaget", read_key(keys["bostadsbolaget"][1])
        )
        command = referral(
            given.consent_id, participant_ref=resident, sealed_contact=seal_with_data_key(contact, data_key)
        )
        accepted(await sender.request(command))
        rid = command.referral_id
        outcome = OutcomeReport(main_activity=MainActivity.OWN_BUSINESS, public_support_continues=False)
        for step in (
            AcknowledgeReferral(referral_id=rid),
            AcceptReferral(referral_id=rid),
            StartReferral(referral_id=rid),
            CompleteReferral(referral_id=rid, outcome=outcome),
        ):
            accepted(await brg.request(step))
    told = await wait_for_mail(mail_dir, f"{rid} är avslutad", to="amina.hassan@bostadsbolaget.example.org")
    assert "Business Region Göteborg" in told.text
    [stored] = await rows(dsns["referrals"], "SELECT sealed_contact FROM referrals WHERE id = $1", rid)
    brg_key = await asyncio.to_thread(data_key_of, url, resident, "brg", read_key(keys["brg"][1]))
    assert open_contact(stored[0], brg_key) == contact  # BRG opens it with its own copy of the data key
    return rid


def hubnet(local, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """The `hubnet` command line, as staff run it, against this module's services."""
    env = {**os.environ, "HUBNET_REFERRALS_URL": f"http://127.0.0.1:{local.ports['referrals']}"}
    return subprocess.run(
        [str(Path(sys.executable).parent / "hubnet"), *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_staff_work_a_referral_from_the_command_line(services, kafka_bootstrap, tmp_path):
    _, _, local, _ = services
    async with LocalPartnerClient(kafka_bootstrap, "bostadsbolaget") as sender:
        # Tynnered: no other test of this module refers there, so the report's cell is this one referral.
        command = await a_referral(sender, hub_id="tynnered")
        accepted(await sender.request(command))
    rid = command.referral_id
    ack = await asyncio.to_thread(
        hubnet,
        local,
        "send",
        "--as",
        "brg",
        "AcknowledgeReferral",
        json.dumps({"referral_id": rid, "expected_version": 1}),
    )
    assert ack.returncode == 0 and '"se.hubnet.command.accepted.v1"' in ack.stdout
    stale = await asyncio.to_thread(
        hubnet,
        local,
        "send",
        "--as",
        "brg",
        "AcceptReferral",
        "-",
        stdin=json.dumps({"referral_id": rid, "expected_version": 1}),
    )
    assert stale.returncode == 1 and "stale-version" in stale.stdout
    bad = await asyncio.to_thread(hubnet, local, "send", "--as", "brg", "AcceptReferral", '{"referral_id": 7}')
    assert bad.returncode == 2 and "referral_id" in bad.stderr

    listed = await asyncio.to_thread(hubnet, local, "referral", "list", "--partner", "brg", "--status", "received")
    assert rid in listed.stdout
    shown = await asyncio.to_thread(hubnet, local, "referral", "show", rid, "--partner", "bostadsbolaget")
    assert "v2" in shown.stdout and "acknowledge" in shown.stdout and "by brg" in shown.stdout
    hidden = await asyncio.to_thread(hubnet, local, "referral", "show", rid, "--partner", "poseidon")
    assert hidden.returncode == 2 and "404" in hidden.stderr

    audit = await asyncio.to_thread(hubnet, local, "audit", rid, "--partner", "brg")
    created, acknowledged, refused = audit.stdout.splitlines()[:3]
    assert "bostadsbolaget" in created and "se.hubnet.referral.create.v1" in created and "accepted" in created
    assert "brg" in acknowledged and "acknowledge" in acknowledged and "accepted" in acknowledged
    assert "accept.v1" in refused and "refused (stale-version)" in refused
    assert "3 entries" in audit.stdout
    hidden_audit = await asyncio.to_thread(hubnet, local, "audit", rid, "--partner", "poseidon")
    assert hidden_audit.returncode == 2 and "404" in hidden_audit.stderr

    report = await asyncio.to_thread(hubnet, local, "report", "--csv")
    header, *lines = report.stdout.splitlines()
    assert header.startswith("hub,partner,service,month,sent,")
    [tynnered] = [line.split(",") for line in lines if line.startswith("tynnered,")]
    assert tynnered[4] == "<5"  # one referral: too few to show
    by_hub = await asyncio.to_thread(hubnet, local, "report", "--group-by", "hub", "--csv")
    [tynnered] = [line.split(",") for line in by_hub.stdout.splitlines() if line.startswith("tynnered,")]
    assert (tynnered[4], tynnered[-1]) == ("0", "1")  # the hub's total leaves out its suppressed cell


def http(local, service: str, path: str, token: str, method: str = "GET") -> tuple[int, dict]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{local.ports[service]}{path}", method=method, headers={"authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


async def test_staff_read_their_inbox_over_http(services, kafka_bootstrap):
    _, _, local, _ = services
    async with LocalPartnerClient(kafka_bootstrap, "bostadsbolaget") as sender:
        command = await a_referral(sender)
        accepted(await sender.request(command))

    sara = staff_login("brg-sara", "brg")["access_token"]
    johan = staff_login("brg-johan", "brg")["access_token"]

    async def listed():
        status, inbox = await asyncio.to_thread(http, local, "notifications", "/inbox?size=50", sara)
        assert status == 200
        return inbox if any(command.referral_id in i["subject"] for i in inbox["items"]) else None

    inbox = await eventually(listed, what="the referral in Sara's inbox")
    assert len(inbox["items"]) == inbox["unread"]  # nothing read yet
    [newest] = [i for i in inbox["items"] if command.referral_id in i["subject"]]
    assert newest["subject"].startswith("Ny remiss") and newest["read_at"] is None
    for _ in range(2):  # marking read twice is harmless
        status, _ = await asyncio.to_thread(
            http, local, "notifications", f"/inbox/read?id={newest['id']}", sara, "POST"
        )
        assert status == 200
    _, unread = await asyncio.to_thread(http, local, "notifications", "/inbox/unread", sara)
    assert unread["unread"] == inbox["unread"] - 1
    _, again = await asyncio.to_thread(http, local, "notifications", "/inbox?size=50", sara)
    assert again["items"][-1]["id"] == newest["id"]  # read entries come after the unread ones
    assert (await asyncio.to_thread(http, local, "notifications", f"/inbox/read?id={newest['id']}", johan, "POST"))[
        0
    ] == 404  # not Johan's
    assert (await asyncio.to_thread(http, local, "notifications", "/inbox?size=0", sara))[0] == 422
    status, failed = await asyncio.to_thread(
        http, local, "notifications", "/deliveries/failed", operator_tokens().token()
    )
    assert status == 200 and failed == []


def get_text(local, service: str, path: str, token: str | None = None) -> tuple[int, bytes, str]:
    """A public route without `token`."""
    headers = {"authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(f"http://127.0.0.1:{local.ports[service]}{path}", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read(), response.headers["content-type"]
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers["content-type"]


async def test_a_hubs_calendar_feed_and_figures(services, kafka_bootstrap):
    _, _, local, _ = services
    yesterday = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    weekly = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)
    async with LocalPartnerClient(kafka_bootstrap, "goteborgs-stad-arbvux") as arbvux:
        held = ScheduleHubEvent(
            hub_id="bergsjon",
            kind="study-guidance",
            title="Studiecafé, Bergsjön",
            starts_at=yesterday,
            ends_at=yesterday + timedelta(hours=2),
            capacity=10,
        )
        series = ScheduleHubEvent(
            hub_id="bergsjon",
            kind="information-evening",
            title="SFI-kväll",
            starts_at=weekly,
            ends_at=weekly + timedelta(hours=2),
            capacity=25,
            rrule="FREQ=WEEKLY;COUNT=6",
        )
        for command in (held, series):
            accepted(await arbvux.request(command))
        for i in range(6):
            accepted(
                await arbvux.request(
                    RegisterForHubEvent(hub_event_id=held.hub_event_id, participant_ref=f"{7000 + i:064x}")
                )
            )
        accepted(
            await arbvux.request(
                RecordAttendance(
                    hub_event_id=held.hub_event_id,
                    attended=[f"{7000 + i:064x}" for i in range(3)],
                    no_shows=[f"{7003:064x}"],
                    walk_ins=2,
                )
            )
        )
    status, body, kind = await asyncio.to_thread(get_text, local, "events", "/calendar.ics?hub=bergsjon")
    assert status == 200 and kind.startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(body)
    found = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert f"{series.hub_event_id}@hubnet" in found and f"{held.hub_event_id}@hubnet" in found
    assert str(found[f"{series.hub_event_id}@hubnet"]["SUMMARY"]) == "SFI-kväll"
    assert found[f"{series.hub_event_id}@hubnet"]["RRULE"]["COUNT"] == [6]
    assert found[f"{held.hub_event_id}@hubnet"].decoded("DTSTART") == yesterday
    status, _, _ = await asyncio.to_thread(get_text, local, "events", "/calendar.ics?hub=kortedala")
    assert status == 404
    status, body, _ = await asyncio.to_thread(get_text, local, "events", "/calendar.ics?partner=goteborgs-stad-arbvux")
    assert status == 200 and held.hub_event_id.encode() in body

    status, body, _ = await asyncio.to_thread(get_text, local, "events", "/figures", partner_tokens("brg").token())
    month = yesterday.astimezone(ZoneInfo("Europe/Stockholm")).strftime("%Y-%m")
    [row] = [r for r in json.loads(body) if (r["hub"], r["month"], r["kind"]) == ("bergsjon", month, "study-guidance")]
    assert (row["held"], row["registrations"], row["attended"], row["walk_ins"]) == (1, 6, 3, 2)
    assert row["attendance_rate"] == 0.75  # 3 of the 4 whose attendance was recorded


async def test_every_service_serves_prometheus_metrics(services, kafka_bootstrap):
    _, _, local, _ = services
    async with LocalPartnerClient(kafka_bootstrap, "bostadsbolaget") as sender:
        accepted(await sender.request(consent()))
    for service in ("referrals", "events", "notifications"):
        status, body, kind = await asyncio.to_thread(get_text, local, service, "/metrics", monitoring_tokens().token())
        assert status == 200 and kind.startswith("text/plain")
        assert b"hubnet_outbox_backlog" in body and b"hubnet_handler_seconds_count" in body
    _, body, _ = await asyncio.to_thread(get_text, local, "referrals", "/metrics", monitoring_tokens().token())
    assert b'hubnet_messages_total{topic="referral.commands.v1",outcome="accepted"}' in body


async def test_no_personal_data_in_any_message_or_log_line(services, kafka_bootstrap, tmp_path):
    """A sealed loop of its own first, so that there is personal data to look for in any order;
    then every record this module put on any topic so far, and every line the three services
    logged, is searched for the residents' numbers, names, phones and e-mails."""
    _, _, local, start_offsets = services
    rid = await the_whole_loop(services, kafka_bootstrap, tmp_path, OTHER_NUMBER, OTHER)
    needles = []
    for number, contact in ((RESIDENT_NUMBER, RESIDENT), (OTHER_NUMBER, OTHER)):
        digits = number.replace("-", "")
        needles += [
            number,
            digits,
            digits[2:],
            number[2:],
            contact.name,
            contact.name.split()[1],
            contact.phone,
            contact.email,
            contact.email.split("@")[0],
        ]
    records = await records_since(kafka_bootstrap, start_offsets)
    assert any(rid.encode() in value for _, _, value in records)  # this loop's traffic, not an empty read
    for topic, headers, value in records:
        text = value.decode("utf-8", "replace") + " ".join(v.decode("utf-8", "replace") for _, v in headers)
        assert not [n for n in needles if n in text], f"personal data on {topic}: {text[:200]}"
    for log in local.log_dir.glob("*.log"):
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
        assert lines
        assert not [line for line in lines if any(n in line for n in needles)], f"personal data in {log.name}"
