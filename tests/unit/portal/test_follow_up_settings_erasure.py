"""The follow-up, settings and erasure pages on fakes: who may see the figures, that suppressed
figures stay suppressed, what each form sends as the partner's command, and that a webhook's
secret is shown on one page only."""

from __future__ import annotations

import base64
import dataclasses

from hubnet_portal.domain.follow_up import referral_table
from nacl.public import PrivateKey, SealedBox

from hubnet_common.sdk.messages.notification_commands import RegisterWebhook, UpsertStaffMember
from hubnet_common.sdk.messages.referral_commands import EraseParticipant
from hubnet_common.sdk.messages.replies import CommandAccepted, CommandRejected
from tests.unit.portal.test_pages import REFERRAL, Identity, csrf_of, logged_in, portal

RECORD = {
    "id": "sm-maria",
    "name": "Maria Svensson",
    "email": "maria.svensson@stadsmissionen.example.org",
    "partner_id": "stadsmissionen",
    "hubs": [],
    "roles": ["receives-referrals", "job-coach"],
    "language": "sv",
    "delivery": "immediate",
}


class Staff(Identity):
    def __init__(self, roles=()):
        super().__init__()
        self.roles = frozenset(roles)

    async def staff_of(self, tokens, nonce):
        return dataclasses.replace(await super().staff_of(tokens, nonce), roles=self.roles)


class Commands:
    def __init__(self, code=None):
        self.sent, self.code = [], code

    async def request(self, command, *, timeout=30.0):
        self.sent.append(command)
        common = dict(command_id="c", command_type=command.ce_type, recipient="r", aggregate_id="a")
        if self.code:
            return CommandRejected(**common, code=self.code, reason="no")
        sealed = "sealed:v1:x" if isinstance(command, RegisterWebhook) else None
        return CommandAccepted(**common, sealed_secret=sealed)


CUSTODIAN = PrivateKey.generate()


class Keys:
    def open_secret(self, sealed):
        return "the-one-time-secret"


def staff_portal(roles=(), commands=None):
    referral = {**REFERRAL, "participant_ref": "ab" * 32}
    client, parts = portal(identity=Staff(roles), commands=commands or Commands(), referral=referral)
    parts.keys = Keys()
    parts.custodian_key = base64.b64encode(bytes(CUSTODIAN.public_key)).decode()
    parts.services.record = dict(RECORD)
    logged_in(client, "/inbox")
    return client, parts


def test_a_staff_member_who_is_not_a_manager_gets_a_plain_403_and_no_link():
    client, _ = staff_portal()
    answer = client.get("/follow-up")
    assert answer.status_code == 403
    assert "Uppföljningen är för chefer" in answer.text
    assert 'href="/follow-up"' not in client.get("/inbox").text


def test_a_manager_sees_the_reports_figures_as_given_suppressed_ones_as_the_report_shows_them():
    client, _ = staff_portal(roles=("manager",))
    page = client.get("/follow-up")
    assert page.status_code == 200 and 'href="/follow-up" aria-current="page"' in page.text
    assert '<td class="figure" data-value="12">12</td>' in page.text
    assert '<td class="figure" data-value="">&lt;5</td>' in page.text
    assert "<script>" not in page.text and "/static/follow_up.js" in page.text


def test_a_suppressed_figure_stays_none_and_nothing_is_summed():
    report = {"suppressed_below": 5, "group_by": ["hub"], "rows": [{"hub": "a", "sent": None}, {"hub": "b", "sent": 7}]}
    table = referral_table("t", "T", report)
    assert [line.cells[0] for line in table.lines] == [
        type(table.lines[0].cells[0])(None, "<5"),
        type(table.lines[0].cells[0])(7, "7"),
    ]
    assert len(table.lines) == 2  # no total row made up here


def test_language_and_delivery_go_as_the_members_record_with_the_new_choices():
    client, parts = staff_portal()
    csrf = csrf_of(client.get("/settings").text)
    answer = client.post("/settings/preferences", data={"csrf": csrf, "language": "en", "delivery": "digest"})
    assert answer.status_code == 303
    [sent] = parts.commands.sent
    assert isinstance(sent, UpsertStaffMember)
    assert (sent.staff_id, sent.name, sent.roles, sent.language, sent.delivery) == (
        "sm-maria",
        RECORD["name"],
        RECORD["roles"],
        "en",
        "digest",
    )
    page = client.get("/settings").text
    assert "Your settings are saved." in page and '<html lang="en">' in page


def test_a_webhooks_secret_is_shown_on_its_answer_alone_and_only_to_managers():
    client, parts = staff_portal()
    csrf = csrf_of(client.get("/settings").text)
    form = {"csrf": csrf, "id": "crm", "url": "https://crm.example.org/in", "kind": "referral.*"}
    assert client.post("/settings/webhooks", data=form).status_code == 403
    assert parts.commands.sent == []
    client, parts = staff_portal(roles=("manager",))
    form["csrf"] = csrf_of(client.get("/settings").text)
    answer = client.post("/settings/webhooks", data=form)
    assert answer.status_code == 200 and "the-one-time-secret" in answer.text
    assert "the-one-time-secret" not in client.get("/settings").text


def test_erasure_needs_the_confirmation_and_a_valid_number_before_anything_is_sent():
    client, parts = staff_portal()
    page = client.get("/referrals/R-1/erasure")
    assert page.status_code == 200
    csrf = csrf_of(page.text)
    unconfirmed = client.post("/referrals/R-1/erasure", data={"csrf": csrf, "personnummer": "19900101-0017"})
    assert "Kryssa i rutan" in unconfirmed.text
    typo = client.post(
        "/referrals/R-1/erasure", data={"csrf": csrf, "personnummer": "19900101-0018", "confirmed": "yes"}
    )
    assert "inget giltigt personnummer" in typo.text
    assert parts.commands.sent == []
    done = client.post(
        "/referrals/R-1/erasure", data={"csrf": csrf, "personnummer": "19900101-0017", "confirmed": "yes"}
    )
    [sent] = parts.commands.sent
    assert isinstance(sent, EraseParticipant)
    assert (sent.participant_ref, sent.noted_by) == ("ab" * 32, "sm-maria")
    assert SealedBox(CUSTODIAN).decrypt(base64.b64decode(sent.sealed_personnummer)) == b"199001010017"
    assert "Invånaren är glömd" in done.text and "19900101" not in done.text


def test_a_refused_erasure_says_nothing_was_erased():
    client, _ = staff_portal(commands=Commands(code="resident-unproven"))
    csrf = csrf_of(client.get("/referrals/R-1/erasure").text)
    answer = client.post(
        "/referrals/R-1/erasure", data={"csrf": csrf, "personnummer": "19900101-0017", "confirmed": "yes"}
    )
    assert "inte den här invånarens. Inget raderades." in answer.text


def test_at_login_the_language_of_the_members_own_record_counts_over_the_identity_providers():
    client, parts = portal(identity=Staff(), commands=Commands())
    parts.services.record = {**RECORD, "language": "en"}
    logged_in(client, "/inbox")
    assert '<html lang="en">' in client.get("/inbox").text
