"""A staff member reads back their own settings, and a partner its webhooks, from the notifications
service over HTTP (GET /staff/me, /subscriptions, /webhooks), against the real identity provider,
broker and database: what the partner's commands changed is what comes back, and every read of a
member's record or subscriptions is in the access log."""

from __future__ import annotations

import httpx
import pytest

from hubnet_common.ops.local.identities import partner_tokens, staff_login
from hubnet_common.ops.local.partners import LocalPartnerClient
from hubnet_common.sdk.messages.notification_commands import (
    RegisterWebhook,
    RemoveWebhook,
    Subscribe,
    Unsubscribe,
    UpsertStaffMember,
)
from tests.integration.conftest import rows
from tests.integration.network import three_served
from tests.integration.referral_steps import accepted, key_known_to_notifications, publish_encryption_key

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def served(new_database, kafka_bootstrap, mail_sink):
    async with three_served(new_database, kafka_bootstrap, mail_sink[0], "own") as (dsns, urls):
        async with LocalPartnerClient(kafka_bootstrap, "stadsmissionen") as partner:
            yield partner, dsns["notifications"], urls["notifications"]


async def ask(url: str, path: str, token: str) -> tuple[int, object]:
    async with httpx.AsyncClient(timeout=10) as client:
        answer = await client.get(url + path, headers={"authorization": f"Bearer {token}"})
    return answer.status_code, answer.json()


async def test_a_member_reads_the_language_and_delivery_their_partner_set(served):
    partner, dsn, url = served
    maria = staff_login("sm-maria", "stadsmissionen")["access_token"]
    status, record = await ask(url, "/staff/me", maria)
    assert status == 200
    assert (record["id"], record["language"], record["delivery"]) == ("sm-maria", "sv", "immediate")
    assert record["roles"] == ["receives-referrals", "job-coach"]
    changed = UpsertStaffMember(
        staff_id="sm-maria",
        name=record["name"],
        email=record["email"],
        hubs=record["hubs"],
        roles=record["roles"],
        language="en",
        delivery="digest",
    )
    accepted(await partner.request(changed))
    status, record = await ask(url, "/staff/me", maria)
    assert (status, record["language"], record["delivery"]) == (200, "en", "digest")
    logged = await rows(
        dsn, "SELECT caller, object_id, status FROM access_log WHERE route = '/staff/me' ORDER BY seq DESC LIMIT 1"
    )
    assert [tuple(r) for r in logged] == [("sm-maria", "sm-maria", 200)]


async def test_a_member_sees_their_subscriptions_come_and_go(served):
    partner, dsn, url = served
    ali = staff_login("sm-ali", "stadsmissionen")["access_token"]
    subscribe = Subscribe(staff_id="sm-ali", kinds=["hubevent.*"], hub_id="hjallbo")
    accepted(await partner.request(subscribe))
    status, subscriptions = await ask(url, "/subscriptions", ali)
    assert status == 200
    assert [(s["id"], s["kinds"], s["hub_id"]) for s in subscriptions] == [
        (subscribe.subscription_id, ["hubevent.*"], "hjallbo")
    ]
    accepted(await partner.request(Unsubscribe(subscription_id=subscribe.subscription_id, staff_id="sm-ali")))
    assert await ask(url, "/subscriptions", ali) == (200, [])
    assert await rows(dsn, "SELECT 1 FROM access_log WHERE route = '/subscriptions' AND caller = 'sm-ali'")


async def test_a_partner_lists_its_webhooks_without_their_secrets(served):
    partner, dsn, url = served
    await publish_encryption_key(partner, "stadsmissionen")
    await key_known_to_notifications(dsn, "stadsmissionen")
    hook = RegisterWebhook(webhook_id="sm-chat", url="https://chat.stadsmissionen.example/in", kinds=["referral.*"])
    registered = await partner.request(hook)
    accepted(registered)
    assert registered.sealed_secret  # the secret travels once, in the answer
    system = partner_tokens("stadsmissionen").token()
    status, hooks = await ask(url, "/webhooks", system)
    assert (status, hooks) == (200, [{"id": "sm-chat", "url": hook.url, "kinds": ["referral.*"]}])
    assert registered.sealed_secret not in str(hooks)
    accepted(await partner.request(RemoveWebhook(webhook_id="sm-chat")))
    assert await ask(url, "/webhooks", staff_login("sm-ali", "stadsmissionen")["access_token"]) == (200, [])
