"""The new referral's page and the live parts of the pages, on the fakes of test_pages.py: what
the form shows (places; a full service not to be chosen), where the personnummer goes (nowhere but
the sealed consent), problems tied to their fields, and a poll that changes nothing unless
something changed."""

from __future__ import annotations

import re

from structlog.testing import capture_logs

from hubnet_common.sdk.messages.replies import CommandAccepted
from hubnet_common.sdk.sealing import generate_encryption_keys
from tests.unit.portal.test_new_referral import hsds
from tests.unit.portal.test_pages import Commands, Services, csrf_of, logged_in, portal

CUSTODIAN = generate_encryption_keys()
REF = "b" * 64
DIRECTORY = {
    "partners": [
        {"id": "stadsmissionen", "name": "Göteborgs Stadsmission"},
        {"id": "bostadsbolaget", "name": "Bostadsbolaget"},
    ],
    "hubs": [{"id": "hjallbo", "name": "Hjällbo"}, {"id": "biskopsgarden", "name": "Biskopsgården"}],
    "services": [
        {
            "id": "sm-coaching",
            "partner_id": "stadsmissionen",
            "name": "Jobbcoachning",
            "available_places": 8,
            "languages": ["sv", "so"],
        },
        {
            "id": "sm-training",
            "partner_id": "stadsmissionen",
            "name": "Arbetsträning",
            "available_places": 0,
            "languages": ["sv"],
        },
    ],
}
SEARCH = {"hub": "hjallbo", "need": "work", "language": ""}
NUMBER = "19900101-0017"


class Directory(Services):
    def __init__(self):
        super().__init__(
            {
                "id": "R-1",
                "status": "requested",
                "version": 1,
                "requested_at": "2026-03-02T09:00:00+00:00",
                "sender_partner_id": "stadsmissionen",
                "receiver_partner_id": "brg",
                "history": [],
            }
        )

    async def directory(self, token):
        return DIRECTORY


class Search:
    def __init__(self):
        self.searched = []

    async def services(self, token, search):
        self.searched.append(search)
        return [hsds("sm-training", "Arbetsträning", 0), hsds("sm-coaching", "Jobbcoachning", 8)]


class Sent(Commands):
    async def request(self, command, *, timeout=30.0):
        self.sent.append(command)
        return CommandAccepted(
            command_id="c",
            command_type=command.ce_type,
            recipient="r",
            aggregate_id=command.subject(),
            participant_ref=REF if command.ce_type.endswith("record.v1") else None,
        )


def refer_portal(commands=None):
    client, parts = portal(commands=commands or Sent())
    parts.services = Directory()
    parts.directory = Search()
    parts.custodian_key = CUSTODIAN.public
    logged_in(client, "/refer")
    return client, parts


def form(page: str, **changes) -> dict:
    return {
        "csrf": csrf_of(page),
        **SEARCH,
        "service": "sm-coaching",
        "personnummer": NUMBER,
        "consent_partners": "stadsmissionen",
        "purposes": "work",
        "method": "written",
        "valid_until": "2099-01-01",
        "name": "Hodan Ali",
        "need_text": "Vill arbeta",
        **changes,
    }


def test_the_services_found_show_their_places_and_a_full_one_cannot_be_chosen():
    client, parts = refer_portal()
    page = client.get("/refer", params=SEARCH).text
    assert "Lediga platser: 8" in page and "Fullt: inga platser just nu" in page
    [full] = re.findall(r'<input type="radio" id="service-sm-training"[^>]*>', page)
    assert " disabled" in full
    assert "Göteborgs Stadsmission" in page and 'name="personnummer"' in page
    assert parts.directory.searched == [{"location_id": "hjallbo", "taxonomy_term_id": "work", "language": ""}]


def test_a_sent_referral_leads_to_its_page_and_the_number_went_only_sealed():
    commands = Sent()
    client, parts = refer_portal(commands)
    page = client.get("/refer", params=SEARCH).text
    with capture_logs() as logged:
        sent = client.post("/refer", data=form(page))
    assert logged and not [entry for entry in logged if "0017" in repr(entry)]  # logged, but not the number
    assert sent.status_code == 303 and sent.headers["location"].startswith("/referrals/R-")
    consent, create = commands.sent
    assert NUMBER not in consent.model_dump_json() and create.participant_ref == REF
    assert NUMBER not in repr(parts.sessions._sessions)  # nothing of it kept with the session
    assert "Remissen är skickad." in client.get(sent.headers["location"]).text


def test_problems_are_tied_to_their_fields_and_nothing_is_sent():
    commands = Sent()
    client, _ = refer_portal(commands)
    page = client.get("/refer", params=SEARCH).text
    answered = client.post("/refer", data=form(page, service="sm-training", personnummer="19900101-0018"))
    assert answered.status_code == 400 and commands.sent == []
    text = answered.text
    assert 'role="alert"' in text
    assert re.search(r'id="personnummer"[^>]*aria-describedby="personnummer-hint personnummer-error"', text)
    assert 'id="personnummer-error">Skriv invånarens personnummer' in text
    assert re.search(r'id="service"[^>]*aria-describedby="service-error" aria-invalid="true"', text)
    assert 'value="Hodan Ali"' in text  # nothing to write again


def test_a_form_without_the_csrf_token_sends_nothing():
    commands = Sent()
    client, _ = refer_portal(commands)
    page = client.get("/refer", params=SEARCH).text
    assert client.post("/refer", data=form(page, csrf="forged")).status_code == 403 and commands.sent == []


def test_a_poll_answers_nothing_until_something_changed():
    client, parts = refer_portal()
    page = client.get("/referrals/R-1").text
    [seen] = re.findall(r'hx-get="/referrals/R-1/live\?seen=([0-9a-f]+)"', page)
    assert client.get("/referrals/R-1/live", params={"seen": seen}).status_code == 204
    parts.services.the_referral = {**parts.services.the_referral, "status": "received", "version": 2}
    changed = client.get("/referrals/R-1/live", params={"seen": seen})
    assert changed.status_code == 200 and 'hx-swap-oob="innerHTML"' in changed.text and "Mottagen" in changed.text
    [new] = re.findall(r'seen=([0-9a-f]+)"', changed.text)
    assert new != seen and client.get("/referrals/R-1/live", params={"seen": new}).status_code == 204


def test_the_worklist_and_the_inbox_poll_the_same_way():
    client, _ = refer_portal()
    for path, live in (("/referrals", "/referrals/live"), ("/inbox", "/inbox/entries")):
        [seen] = re.findall(rf'hx-get="{re.escape(live)}\?seen=([0-9a-f]+)"', client.get(path).text)
        assert client.get(live, params={"seen": seen}).status_code == 204
        assert client.get(live, params={"seen": "old"}).status_code == 200
