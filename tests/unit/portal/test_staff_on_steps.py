"""The portal's steps name the staff member who took them (`noted_by`); the history shows who; a
referral is reopened with a note saying why, sealed under the resident's data key."""

from hubnet_common.sdk.sealing import open_with_data_key
from tests.unit.portal.test_pages import DATA_KEY, REFERRAL, Commands, DataKeys, csrf_of, logged_in, portal

COMPLETED = {**REFERRAL, "status": "completed", "version": 6}


def test_a_step_carries_the_staff_member_who_took_it():
    commands = Commands()
    client, _ = portal(commands=commands)
    logged_in(client)
    client.post(
        "/referrals/R-1/steps",
        data={"action": "accept", "version": "2", "csrf": csrf_of(client.get("/referrals/R-1").text)},
    )
    [sent] = commands.sent
    assert (sent.ce_type, sent.noted_by) == ("se.hubnet.referral.accept.v1", "sm-maria")


def test_the_history_shows_the_staff_member_beside_their_organisation():
    step = {"version": 2, "action": "acknowledge", "status": "received", "actor_partner_id": "stadsmissionen"}
    client, _ = portal(
        referral={**REFERRAL, "history": [{**step, "at": "2026-03-02T10:00:00+00:00", "noted_by": "sm-maria"}]}
    )
    logged_in(client)
    assert "<td>stadsmissionen (sm-maria)</td>" in client.get("/referrals/R-1").text


def test_a_referral_is_reopened_with_the_note_sealed_for_its_resident():
    commands, data_keys = Commands(), DataKeys()
    client, _ = portal(commands=commands, referral=COMPLETED, data_keys=data_keys)
    logged_in(client)
    page = client.get("/referrals/R-1").text
    assert "Öppna igen</button>" in page and '<textarea id="note-reopen" name="note"' in page
    form = {"action": "reopen", "version": "6", "csrf": csrf_of(page), "note": "Avslutades av misstag"}
    client.post("/referrals/R-1/steps", data=form)
    [sent] = commands.sent
    assert sent.ce_type == "se.hubnet.referral.reopen.v1" and sent.noted_by == "sm-maria"
    assert "Avslutades" not in sent.note and open_with_data_key(sent.note, DATA_KEY) == "Avslutades av misstag"
    assert [ref for _token, ref in data_keys.asked] == ["p-1"]


def test_no_reopening_without_a_note_or_without_a_key_to_seal_it():
    commands = Commands()
    client, _ = portal(commands=commands, referral=COMPLETED, data_keys=DataKeys(key=None))
    logged_in(client)
    token = csrf_of(client.get("/referrals/R-1").text)
    client.post("/referrals/R-1/steps", data={"action": "reopen", "version": "6", "csrf": token, "note": "  "})
    assert "Skriv varför." in client.get("/referrals/R-1").text
    client.post("/referrals/R-1/steps", data={"action": "reopen", "version": "6", "csrf": token, "note": "Fel"})
    assert commands.sent == [] and "Er organisation har ingen nyckel" in client.get("/referrals/R-1").text
