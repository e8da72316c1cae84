"""Reading someone else's settings from the notifications service, against the real identity
provider, broker and database: a staff member asks for a colleague's record and subscriptions by
naming them in the query, a staff member of one partner asks for another partner's webhooks, and a
partner's system asks for a staff member's record. The token alone says whose settings are read
(hubnet_notifications/entrypoints/http.py), so each gets their own, or nothing."""

from __future__ import annotations

import httpx
import pytest

from hubnet_common.ops.local.identities import partner_tokens, staff_login
from hubnet_common.ops.local.partners import LocalPartnerClient
from hubnet_common.sdk.messages.notification_commands import RegisterWebhook, Subscribe
from tests.integration.network import three_served
from tests.integration.referral_steps import accepted, key_known_to_notifications, publish_encryption_key

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def served(new_database, kafka_bootstrap, mail_sink):
    """Ali (Stadsmissionen) subscribes to referral facts; Bostadsbolaget registers a webhook."""
    async with three_served(new_database, kafka_bootstrap, mail_sink[0], "settings") as (dsns, urls):
        async with (
            LocalPartnerClient(kafka_bootstrap, "stadsmissionen") as stadsmissionen,
            LocalPartnerClient(kafka_bootstrap, "bostadsbolaget") as bostadsbolaget,
        ):
            accepted(await stadsmissionen.request(Subscribe(staff_id="sm-ali", kinds=["referral.*"])))
            await publish_encryption_key(bostadsbolaget, "bostadsbolaget")
            await key_known_to_notifications(dsns["notifications"], "bostadsbolaget")
            hook = RegisterWebhook(
                webhook_id="bb-crm", url="https://crm.bostadsbolaget.example/hubnet", kinds=["referral.*"]
            )
            accepted(await bostadsbolaget.request(hook))
        yield urls["notifications"]


async def ask(url: str, path: str, token: str) -> tuple[int, object]:
    async with httpx.AsyncClient(timeout=10) as client:
        answer = await client.get(url + path, headers={"authorization": f"Bearer {token}"})
    return answer.status_code, answer.json()


async def test_a_colleagues_subscriptions_are_not_read_by_naming_them(served):
    maria = staff_login("sm-maria", "stadsmissionen")["access_token"]
    for path in ("/subscriptions?staff=sm-ali", "/subscriptions?staff_id=sm-ali", "/subscriptions"):
        status, subscriptions = await ask(served, path, maria)
        assert (status, subscriptions) == (200, []), path
    ali = staff_login("sm-ali", "stadsmissionen")["access_token"]
    status, subscriptions = await ask(served, "/subscriptions", ali)
    assert status == 200 and [s["kinds"] for s in subscriptions] == [["referral.*"]]


async def test_a_colleagues_record_is_not_read_by_naming_them(served):
    maria = staff_login("sm-maria", "stadsmissionen")["access_token"]
    for path in ("/staff/me?staff=sm-ali", "/staff/me?staff_id=sm-ali"):
        status, record = await ask(served, path, maria)
        assert status == 200 and record["id"] == "sm-maria", path
        assert "ali" not in str(record).lower()


async def test_another_partners_webhooks_are_not_read(served):
    maria = staff_login("sm-maria", "stadsmissionen")["access_token"]
    system = partner_tokens("stadsmissionen").token()
    for token in (maria, system):
        for path in ("/webhooks?partner=bostadsbolaget", "/webhooks?partner_id=bostadsbolaget", "/webhooks"):
            status, hooks = await ask(served, path, token)
            assert (status, hooks) == (200, []), path
    status, hooks = await ask(served, "/webhooks", partner_tokens("bostadsbolaget").token())
    assert status == 200 and hooks == [
        {"id": "bb-crm", "url": "https://crm.bostadsbolaget.example/hubnet", "kinds": ["referral.*"]}
    ]
    assert "secret" not in str(hooks)


async def test_a_partners_system_reads_no_staff_members_record(served):
    status, _ = await ask(served, "/staff/me?staff=sm-maria", partner_tokens("stadsmissionen").token())
    assert status == 403
