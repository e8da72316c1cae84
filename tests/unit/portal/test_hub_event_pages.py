"""The directory and hub event pages on fakes: what a hub host's forms send on the partner's
behalf, and that a resident's personnummer goes only sealed, in no address and no log line."""

from __future__ import annotations

import base64

from hubnet_portal.adapters.sessions import InMemorySessions
from hubnet_portal.adapters.translations import catalogues
from hubnet_portal.entrypoints.web import Portal, web_app
from nacl.public import PrivateKey, SealedBox
from starlette.testclient import TestClient
from structlog.testing import capture_logs

from hubnet_common.sdk.messages import hubevent_commands as c
from hubnet_common.sdk.messages.referral_commands import RecordConsent
from hubnet_common.sdk.messages.replies import CommandAccepted, CommandRejected
from tests.unit.portal.test_pages import ISSUER, DataKeys, Identity, Services, csrf_of, logged_in, no_lifespan

CUSTODIAN = PrivateKey.generate()
NUMBER = "19900101-0017"
REF = "ab" * 32
EVENT = {
    "id": "E-1",
    "hub_id": "bergsjon",
    "hub_name": "Bergsjön",
    "organiser_partner_id": "stadsmissionen",
    "organiser_name": "Stadsmissionen",
    "co_organiser_ids": [],
    "kind": "cv-drop-in",
    "title": "CV-verkstad",
    "description": "",
    "status": "scheduled",
    "starts_at": "2030-03-02T16:00:00Z",
    "ends_at": "2030-03-02T18:00:00Z",
    "occurrences": [
        {
            "starts_at": "2030-03-02T16:00:00Z",
            "ends_at": "2030-03-02T18:00:00Z",
            "capacity": 1,
            "status": "scheduled",
            "registered": 1,
            "waitlisted": 0,
            "walk_ins": 0,
        }
    ],
    "registrations": [
        {
            "id": "G-1",
            "occurrence_starts_at": "2030-03-02T16:00:00Z",
            "participant_ref": REF,
            "status": "registered",
            "waitlist_position": None,
            "attendance": None,
            "referral_id": None,
            "registered_by": "stadsmissionen",
            "at": "2030-03-01T10:00:00Z",
        }
    ],
}
SERVICE = {
    "id": "s-1",
    "name": "Jobbcoachning",
    "organization": {"id": "stadsmissionen", "name": "Stadsmissionen"},
    "languages": [{"code": "so"}, {"code": "sv"}],
    "service_at_locations": [{"location_id": "bergsjon"}],
    "capacities": [{"available": 4}],
    "a_field_of_hsds_3_1": {"whatever": True},
}


class Reads:
    def __init__(self):
        self.searches = []

    async def services(self, token, search):
        self.searches.append(search)
        return [SERVICE]

    async def hubs(self, token):
        return [{"id": "bergsjon", "name": "Bergsjön"}, {"id": "hjallbo", "name": "Hjällbo"}]

    async def calendar(self, token, hub_id):
        return [EVENT]

    async def hub_event(self, token, hub_event_id):
        return EVENT if hub_event_id == "E-1" else None


class Commands:
    def __init__(self, code=None):
        self.sent, self.code = [], code

    async def request(self, command, *, timeout=30.0):
        self.sent.append(command)
        common = dict(command_id="c", command_type=command.ce_type, recipient="r", aggregate_id=command.subject())
        if self.code:
            return CommandRejected(**common, code=self.code, reason="no")
        ref = REF if isinstance(command, RecordConsent) else None
        return CommandAccepted(**common, participant_ref=ref)


def portal(commands=None, reads=None) -> TestClient:
    reads = reads or Reads()
    parts = Portal(
        partner="stadsmissionen",
        identity=Identity(),
        services=Services(),
        data_keys=DataKeys(),
        commands=commands or Commands(),
        sessions=InMemorySessions(),
        translations=catalogues(),
        idle_seconds=1800,
        secure_cookies=False,
        issuer=ISSUER,
        directory=reads,
        hub_events=reads,
        custodian_key=base64.b64encode(bytes(CUSTODIAN.public_key)).decode(),
        calendar_url="http://events.test",
    )
    client = TestClient(web_app(parts, no_lifespan), follow_redirects=False)
    logged_in(client, "/hub-events")
    return client


def register(client: TestClient, **form) -> object:
    csrf = csrf_of(client.get("/hub-events/E-1").text)
    return client.post(
        "/hub-events/E-1/registrations",
        data={"csrf": csrf, "at": "2030-03-02T16:00:00Z", "personnummer": NUMBER, "consent": "yes", **form},
    )


def test_a_resident_is_registered_by_the_reference_the_referrals_service_answers_to_their_sealed_number():
    commands = Commands()
    client = portal(commands)
    with capture_logs() as entries:
        answer = register(client)
    logged = repr(entries)
    consent, registration = commands.sent
    assert isinstance(consent, RecordConsent) and consent.participant_ref is None
    assert SealedBox(CUSTODIAN).decrypt(base64.b64decode(consent.sealed_personnummer)) == b"199001010017"
    assert (consent.partner_ids, consent.method, consent.noted_by) == (["stadsmissionen"], "verbal", "sm-maria")
    assert isinstance(registration, c.RegisterForHubEvent) and registration.participant_ref == REF
    assert "resident registered for a hub event" in logged and "19900101" not in logged
    assert "19900101" not in answer.headers["location"]
    assert "Invånaren har fått en plats." in client.get(answer.headers["location"]).text


def test_without_the_residents_consent_or_with_a_wrong_number_nothing_is_sent():
    commands = Commands()
    client = portal(commands)
    register(client, consent="")
    assert "Anteckna först invånarens samtycke." in client.get("/hub-events/E-1").text
    register(client, personnummer="19900101-0018")
    assert "inte ett giltigt personnummer" in client.get("/hub-events/E-1").text
    assert commands.sent == []


def test_attendance_marks_those_ticked_as_come_the_others_as_not_and_counts_walk_ins():
    commands = Commands()
    client = portal(commands)
    page = client.get("/hub-events/E-1").text
    client.post(
        "/hub-events/E-1/attendance",
        data={
            "csrf": csrf_of(page),
            "at": "2030-03-02T16:00:00Z",
            "registered": [REF, "cd" * 32],
            "came": [REF],
            "walk_ins": "2",
        },
    )
    [sent] = commands.sent
    assert (sent.attended, sent.no_shows, sent.walk_ins) == ([REF], ["cd" * 32], 2)


def test_a_refused_cancellation_is_said_in_words():
    commands = Commands(code="not-permitted")
    client = portal(commands)
    page = client.get("/hub-events/E-1").text
    client.post("/hub-events/E-1/cancellations", data={"csrf": csrf_of(page), "at": "2030-03-02T16:00:00Z", "ref": REF})
    assert "Bara arrangörerna" in client.get("/hub-events/E-1").text


def test_the_calendar_links_the_hubs_ics_feed():
    page = portal().get("/hub-events", params={"hub": "bergsjon"}).text
    assert 'href="http://events.test/calendar.ics?hub=bergsjon"' in page and "CV-verkstad" in page


def test_the_directory_searches_by_hub_and_language_and_names_them_in_swedish():
    reads = Reads()
    page = portal(reads=reads).get("/directory", params={"hub": "bergsjon", "language": "so", "search": ""}).text
    assert reads.searches == [{"search": "", "location_id": "bergsjon", "language": "so"}]
    assert "Jobbcoachning" in page and "somaliska" in page and "Bergsjön" in page
