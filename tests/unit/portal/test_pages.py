"""The portal's pages on fakes of the identity provider, the services and the partner's Kafka
client: who gets in, what a form needs, the headers every answer carries, the language."""

from __future__ import annotations

import base64
import contextlib
import time
from urllib.parse import parse_qs, urlparse

import pytest
from hubnet_portal.adapters.sessions import InMemorySessions
from hubnet_portal.adapters.translations import catalogues
from hubnet_portal.domain.session import Tokens
from hubnet_portal.entrypoints.web import Portal, web_app
from hubnet_portal.handlers.ports import NotLoggedIn
from nacl.public import PrivateKey
from starlette.testclient import TestClient

from hubnet_common.sdk.data_key import DataKeyMissing
from hubnet_common.sdk.messages.replies import CommandAccepted, CommandRejected
from hubnet_common.sdk.sealing import ContactDetails, new_data_key, seal_with_data_key
from hubnet_common.service.auth import Caller

ISSUER = "http://idp.test/realms/hubnet"
CUSTODIAN_KEY = base64.b64encode(bytes(PrivateKey.generate().public_key)).decode()
DATA_KEY = new_data_key()
CONTACT = ContactDetails(name="Amina Hassan", phone="070-123 45 67", language="so")
REFERRAL = {
    "participant_ref": "p-1",
    "sealed_contact": seal_with_data_key(CONTACT, DATA_KEY),
    "need": seal_with_data_key("Vill bli undersköterska", DATA_KEY),
    "id": "R-1",
    "sender_partner_id": "bostadsbolaget",
    "receiver_partner_id": "stadsmissionen",
    "service_id": "stadsmissionen-job-coaching",
    "hub_id": "hjallbo",
    "purpose": "work",
    "status": "received",
    "version": 2,
    "requested_at": "2026-03-02T09:00:00+00:00",
    "history": [],
}


class Identity:
    def __init__(self, partner="stadsmissionen", language="sv"):
        self.partner, self.language, self.codes = partner, language, []

    def login_address(self, pending):
        return f"{ISSUER}/auth?state={pending.state}"

    def logout_address(self, id_token):
        return f"{ISSUER}/logout"

    async def exchange(self, code, verifier):
        self.codes.append((code, verifier))
        return Tokens("access", "refresh", "id", access_expires_at=time.time() + 300)

    async def refresh(self, refresh_token):
        raise NotLoggedIn("no refresh here")

    async def staff_of(self, tokens, nonce):
        return Caller(
            subject="u",
            client="portal-stadsmissionen",
            partner=self.partner,
            staff_id="sm-maria",
            language=self.language,
        )


class Services:
    def __init__(self, referral=None):
        self.read, self.the_referral, self.asked = [], referral or REFERRAL, []
        self.record = None

    async def inbox(self, token):
        return {"unread": 0, "items": []}

    async def mark_read(self, token, entry_id):
        self.read.append(entry_id)
        return True

    async def referrals(self, token, role, *, filters=None, offset=0, limit=200):
        self.asked.append((role, filters, offset, limit))
        return [self.the_referral] if role == "receiver" and not offset else []

    async def referral(self, token, referral_id):
        return self.the_referral if referral_id == "R-1" else None

    async def own_record(self, token):
        return self.record

    async def subscriptions(self, token):
        return []

    async def webhooks(self, token):
        return []

    async def report(self, token, group_by, since=None):
        keys = group_by.split(",")
        rows = [{**{k: f"{k}-1" for k in keys}, "sent": 12, "accepted": None, "cells_suppressed": 1}]
        return {"suppressed_below": 5, "since": "2026-01", "until": "2026-12", "group_by": keys, "rows": rows}

    async def event_figures(self, token, since=None):
        return []


class NoReads:
    """The directory and the hub events, empty (tests/unit/portal/test_hub_event_pages.py fills them)."""

    async def services(self, token, search):
        return []

    async def hubs(self, token):
        return []

    async def calendar(self, token, hub_id):
        return []

    async def hub_event(self, token, hub_event_id):
        return None


class DataKeys:
    def __init__(self, key=DATA_KEY):
        self.key, self.asked = key, []

    async def data_key(self, token, participant_ref):
        self.asked.append((token, participant_ref))
        if self.key is None:
            raise DataKeyMissing("none")
        return self.key


class Commands:
    def __init__(self, code=None):
        self.sent, self.code = [], code

    async def request(self, command, *, timeout=30.0):
        self.sent.append(command)
        common = dict(command_id="c", command_type=command.ce_type, recipient="r", aggregate_id=command.referral_id)
        if self.code:
            return CommandRejected(**common, code=self.code, reason="no")
        return CommandAccepted(**common)


@contextlib.asynccontextmanager
async def no_lifespan(_app):
    yield


def portal(identity=None, commands=None, referral=None, data_keys=None) -> tuple[TestClient, Portal]:
    parts = Portal(
        partner="stadsmissionen",
        identity=identity or Identity(),
        services=Services(referral),
        data_keys=data_keys or DataKeys(),
        commands=commands or Commands(),
        sessions=InMemorySessions(),
        translations=catalogues(),
        idle_seconds=1800,
        secure_cookies=False,
        issuer=ISSUER,
        directory=NoReads(),
        hub_events=NoReads(),
        custodian_key=CUSTODIAN_KEY,
        calendar_url="http://events.test",
    )
    return TestClient(web_app(parts, no_lifespan), follow_redirects=False), parts


def logged_in(client: TestClient, path: str = "/referrals/R-1"):
    to_login = client.get(path)
    assert to_login.status_code == 303 and to_login.headers["location"].startswith(ISSUER)
    state = parse_qs(urlparse(to_login.headers["location"]).query)["state"][0]
    return client.get("/signed-in", params={"state": state, "code": "the-code"})


def csrf_of(page: str) -> str:
    return page.split('name="csrf" value="')[1].split('"')[0]


def test_after_logging_in_the_staff_member_is_where_she_was_going_with_a_session_cookie_only():
    client, _ = portal()
    back = logged_in(client)
    assert back.status_code == 303 and back.headers["location"] == "/referrals/R-1"
    [cookie] = [c for c in back.headers.get_list("set-cookie") if c.startswith("hubnet_portal_stadsmissionen=")]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    page = client.get("/referrals/R-1")
    assert page.status_code == 200 and "Acceptera" in page.text


def test_a_return_from_the_login_page_counts_once_and_only_in_the_browser_that_left():
    client, _ = portal()
    to_login = client.get("/inbox")
    state = parse_qs(urlparse(to_login.headers["location"]).query)["state"][0]
    stranger = TestClient(client.app, follow_redirects=False)
    assert stranger.get("/signed-in", params={"state": state, "code": "c"}).headers["location"].startswith(ISSUER)
    assert client.get("/signed-in", params={"state": state, "code": "c"}).headers["location"] == "/inbox"
    client.cookies.clear()
    client.cookies.set("hubnet_login_stadsmissionen", state)
    assert client.get("/signed-in", params={"state": state, "code": "c"}).headers["location"].startswith(ISSUER)


def test_staff_of_another_partner_get_no_session():
    client, _ = portal(Identity(partner="brg"))
    refused = logged_in(client)
    assert refused.status_code == 403 and "Inte er organisations portal" in refused.text
    assert not [c for c in refused.headers.get_list("set-cookie") if c.startswith("hubnet_portal_")]
    assert client.get("/inbox").status_code == 303  # still not logged in


def test_a_form_without_the_sessions_csrf_token_changes_nothing():
    commands = Commands()
    client, _ = portal(commands=commands)
    logged_in(client)
    refused = client.post("/referrals/R-1/steps", data={"action": "accept", "version": "2", "csrf": "forged"})
    assert refused.status_code == 403 and commands.sent == []
    token = csrf_of(client.get("/referrals/R-1").text)
    taken = client.post("/referrals/R-1/steps", data={"action": "accept", "version": "2", "csrf": token})
    assert taken.status_code == 303 and [c.ce_type for c in commands.sent] == ["se.hubnet.referral.accept.v1"]
    assert commands.sent[0].expected_version == 2


def test_a_refusal_is_shown_in_plain_words():
    client, _ = portal(commands=Commands(code="stale-version"))
    logged_in(client)
    token = csrf_of(client.get("/referrals/R-1").text)
    client.post("/referrals/R-1/steps", data={"action": "accept", "version": "2", "csrf": token})
    assert "Någon annan har ändrat remissen under tiden." in client.get("/referrals/R-1").text


@pytest.mark.parametrize("action", ["mark-entered-in-error", "nonsense"])
def test_steps_the_portal_does_not_offer_are_not_sent(action):
    commands = Commands()
    client, _ = portal(commands=commands)
    logged_in(client)
    token = csrf_of(client.get("/referrals/R-1").text)
    client.post("/referrals/R-1/steps", data={"action": action, "version": "2", "csrf": token})
    assert commands.sent == []
    assert "Nätverket avvisade steget." in client.get("/referrals/R-1").text


def test_every_answer_forbids_inline_script_framing_caching_and_referrers():
    client, _ = portal()
    logged_in(client)
    page = client.get("/inbox")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert page.headers["referrer-policy"] == "no-referrer" and page.headers["cache-control"] == "no-store"
    assert "<script>" not in page.text and " style=" not in page.text


def test_english_for_staff_who_chose_it():
    client, _ = portal(Identity(language="en"))
    logged_in(client)
    page = client.get("/referrals/R-1")
    assert '<html lang="en">' in page.text and "Accept</button>" in page.text and "Received" in page.text


def test_the_receiver_may_reject_with_a_reason_and_is_asked_for_one_without():
    commands = Commands()
    client, _ = portal(commands=commands)
    logged_in(client)
    page = client.get("/referrals/R-1").text
    assert "Avvisa</button>" in page and 'name="reason_code" required' in page and "Ingen plats" in page
    token = csrf_of(page)
    client.post("/referrals/R-1/steps", data={"action": "reject", "version": "2", "csrf": token})
    assert commands.sent == [] and "Välj en anledning." in client.get("/referrals/R-1").text
    form = {"action": "reject", "version": "2", "csrf": token, "reason_code": "no-capacity"}
    client.post("/referrals/R-1/steps", data=form)
    [sent] = commands.sent
    assert sent.ce_type == "se.hubnet.referral.reject.v1" and sent.reason_code == "no-capacity"


@pytest.mark.parametrize(
    ("status", "buttons"),
    [
        ("requested", ["Bekräfta mottagandet"]),
        ("in-progress", ["Pausa", "Avbryt som misslyckad", "Avsluta"]),
        ("on-hold", ["Återuppta"]),
        ("completed", ["Öppna igen"]),
        ("cancelled", []),
    ],
)
def test_the_receiver_sees_the_steps_of_the_present_status(status, buttons):
    client, _ = portal(referral={**REFERRAL, "status": status})
    logged_in(client)
    page = client.get("/referrals/R-1").text
    shown = [b.split(">")[-1] for b in page.split("</button>")[:-1]]
    assert [b for b in shown if b not in ("Logga ut", "Visa kontaktuppgifter och behov")] == buttons


def test_the_sender_may_cancel_what_it_sent_and_nothing_of_the_receivers():
    sent = {**REFERRAL, "sender_partner_id": "stadsmissionen", "receiver_partner_id": "brg"}
    commands = Commands()
    client, _ = portal(commands=commands, referral=sent)
    logged_in(client)
    page = client.get("/referrals/R-1").text
    assert "Återkalla remissen</button>" in page and "Acceptera" not in page and "Avvisa" not in page
    form = {"action": "cancel", "version": "2", "csrf": csrf_of(page), "reason_code": "referred-elsewhere"}
    client.post("/referrals/R-1/steps", data=form)
    assert [c.ce_type for c in commands.sent] == ["se.hubnet.referral.cancel.v1"]


def test_contact_details_and_need_open_on_request_in_that_answer_only():
    data_keys = DataKeys()
    client, _ = portal(data_keys=data_keys)
    logged_in(client)
    page = client.get("/referrals/R-1").text
    assert "Amina Hassan" not in page and data_keys.asked == []
    assert client.post("/referrals/R-1/resident", data={"csrf": "forged"}).status_code == 403
    opened = client.post("/referrals/R-1/resident", data={"csrf": csrf_of(page)})
    assert opened.status_code == 200 and data_keys.asked == [("access", "p-1")]
    assert "Amina Hassan" in opened.text and "070-123 45 67" in opened.text and "Vill bli undersköterska" in opened.text
    assert "Amina Hassan" not in client.get("/referrals/R-1").text  # never kept


def test_without_a_copy_of_the_data_key_the_page_says_so():
    client, _ = portal(data_keys=DataKeys(key=None))
    logged_in(client)
    opened = client.post("/referrals/R-1/resident", data={"csrf": csrf_of(client.get("/referrals/R-1").text)})
    assert "Er organisation har ingen nyckel till invånarens uppgifter" in opened.text
