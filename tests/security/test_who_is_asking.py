"""Attacks on the HTTP APIs, against the three services serving HTTP and the real identity
provider (Keycloak, `make up`). Until the APIs took identities from tokens, every one of them
believed a query parameter: `GET /referrals?partner=stadsmissionen` listed that partner's
referrals to anyone who could reach the port, `/inbox?staff=sm-maria` read her inbox."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from hubnet_common.ops.local.identities import (
    monitoring_tokens,
    operator_tokens,
    partner_tokens,
    staff_login,
)
from hubnet_common.ops.local.partners import LocalPartnerClient
from hubnet_common.sdk.messages.vocabulary import Purpose
from tests.integration.conftest import eventually, rows, until
from tests.integration.identity_steps import (
    another_applications_token,
    forged_like,
    identity_provider_stopped,
    master_realm_token,
    short_lived_token,
)
from tests.integration.network import three_served
from tests.integration.referral_steps import accepted, consent, referral

pytestmark = pytest.mark.integration
PUBLIC = {"/healthz", "/readyz", "/calendar.ics"}
LEEWAY = 1  # seconds; the services' default is 30, too long to wait for a token to run out


@pytest.fixture(scope="module")
async def served(new_database, kafka_bootstrap, mail_sink):
    """The three services over HTTP, and a referral from Bostadsbolaget to Stadsmissionen (whose
    staff member Maria is told of it in her inbox)."""
    async with three_served(new_database, kafka_bootstrap, mail_sink[0], "who", oidc_leeway_seconds=LEEWAY) as (
        dsns,
        urls,
    ):
        async with LocalPartnerClient(kafka_bootstrap, "bostadsbolaget") as sender:
            given = consent(partners=("stadsmissionen",), purposes=(Purpose.WORK,))
            accepted(await sender.request(given))
            command = referral(given.consent_id, service_id="stadsmissionen-job-coaching", purpose=Purpose.WORK)
            accepted(await sender.request(command))
        rid = command.referral_id
        maria = staff_login("sm-maria", "stadsmissionen")["access_token"]

        async def in_marias_inbox():
            status, inbox = await ask(urls["notifications"], "/inbox?size=100", maria)
            return next((i for i in inbox["items"] if rid in i["subject"]), None) if status == 200 else None

        entry = await eventually(in_marias_inbox, what="the referral in Maria's inbox")
        # The events service reads the directory on its own: its public feed knows a hub once it has.
        await until(dsns["events"], "SELECT 1 FROM known_hubs WHERE id = 'hjallbo'")
        yield dsns, urls, rid, entry


async def last_seq(dsn: str) -> int:
    return (await rows(dsn, "SELECT coalesce(max(seq), 0) FROM access_log"))[0][0]


async def ask(url: str, path: str, token: str | None = None, method: str = "GET") -> tuple[int, dict | str]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(timeout=10) as client:
        answer = await client.request(method, url + path, headers=headers)
    try:
        return answer.status_code, answer.json()
    except ValueError:
        return answer.status_code, answer.text


async def secured_operations(url: str) -> list[tuple[str, str]]:
    async with httpx.AsyncClient(timeout=10) as client:
        document = (await client.get(f"{url}/openapi.json")).json()
    return [
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if operation.get("security") != []
    ]


async def test_without_a_token_nothing_but_the_probes_and_calendars_answers(served):
    _, urls, rid, _ = served
    for service, url in urls.items():
        operations = await secured_operations(url)
        assert operations, service
        assert not {path for _, path in operations} & PUBLIC
        for method, path in operations:
            status, _ = await ask(url, path, method=method)
            assert status == 401, f"{service} {method} {path} answered {status} without a token"
    # the attack as it was: a partner named in the query
    assert (await ask(urls["referrals"], "/referrals?partner=stadsmissionen"))[0] == 401
    assert (await ask(urls["referrals"], f"/referral?id={rid}&partner=stadsmissionen"))[0] == 401
    assert (await ask(urls["notifications"], "/inbox?staff=sm-maria"))[0] == 401
    assert (await ask(urls["events"], "/calendar.ics?hub=hjallbo"))[0] == 200  # residents subscribe
    assert (await ask(urls["referrals"], "/healthz"))[0] == 200


async def test_a_token_that_is_not_the_realms_for_this_service_is_refused(served):
    _, urls, _, _ = served
    genuine = partner_tokens("brg").token()
    assert (await ask(urls["referrals"], "/referrals", genuine))[0] == 200
    # Signed by a key of the attacker's under the realm's key id, claiming to be Stadsmissionen.
    forged = await asyncio.to_thread(forged_like, genuine, partner="stadsmissionen")
    assert (await ask(urls["referrals"], "/referrals", forged))[0] == 401
    # The same claims with the signature taken off.
    header, payload, _ = genuine.split(".")
    assert (await ask(urls["referrals"], "/referrals", f"{header}.{payload}."))[0] == 401
    # A token of another application of the realm: no hubnet audience.
    elsewhere = await asyncio.to_thread(another_applications_token)
    assert (await ask(urls["referrals"], "/referrals", elsewhere))[0] == 401
    # A token of the master realm (another issuer).
    master = await asyncio.to_thread(master_realm_token)
    assert (await ask(urls["referrals"], "/referrals", master))[0] == 401


async def test_an_expired_token_is_refused(served):
    _, urls, _, _ = served
    token = await asyncio.to_thread(short_lived_token, "partner-stadsmissionen", 2)
    assert (await ask(urls["referrals"], "/referrals", token))[0] == 200
    await asyncio.sleep(2 + LEEWAY + 1.5)
    assert (await ask(urls["referrals"], "/referrals", token))[0] == 401


async def test_another_partner_cannot_read_a_referral_its_audit_or_a_data_key(served):
    _, urls, rid, _ = served
    stadsmissionen, brg = partner_tokens("stadsmissionen").token(), partner_tokens("brg").token()
    assert (await ask(urls["referrals"], f"/referral?id={rid}", stadsmissionen))[0] == 200
    assert (await ask(urls["referrals"], f"/audit?id={rid}", stadsmissionen))[0] == 200
    for path in (f"/referral?id={rid}", f"/audit?id={rid}", f"/referral?id={rid}&partner=stadsmissionen"):
        status, body = await ask(urls["referrals"], path, brg)
        assert status == 404, path
        assert body == (await ask(urls["referrals"], "/referral?id=R-NONE", brg))[1]  # as if there were none
    listed = (await ask(urls["referrals"], "/referrals?partner=stadsmissionen", brg))[1]
    assert rid not in {r["id"] for r in listed}
    # A staff member of BRG is BRG too: no more than its system.
    sara = staff_login("brg-sara", "brg")["access_token"]
    assert (await ask(urls["referrals"], f"/referral?id={rid}", sara))[0] == 404


async def test_staff_of_brg_cannot_read_or_change_a_stadsmissionen_inbox(served):
    _, urls, rid, entry = served
    sara = staff_login("brg-sara", "brg")["access_token"]
    status, inbox = await ask(urls["notifications"], "/inbox?staff=sm-maria&size=100", sara)
    assert status == 200 and inbox["staff"] == "brg-sara"  # the parameter names nobody: her own inbox
    assert not [i for i in inbox["items"] if rid in i["subject"]]
    assert (await ask(urls["notifications"], f"/inbox/read?id={entry['id']}", sara, "POST"))[0] == 404
    maria = staff_login("sm-maria", "stadsmissionen")["access_token"]
    mine = (await ask(urls["notifications"], "/inbox?size=100", maria))[1]
    assert next(i for i in mine["items"] if i["id"] == entry["id"])["read_at"] is None  # still unread
    # A partner's system is nobody's inbox.
    assert (await ask(urls["notifications"], "/inbox", partner_tokens("stadsmissionen").token()))[0] == 403


async def test_failed_deliveries_and_metrics_are_for_operators_and_monitoring_only(served):
    _, urls, _, _ = served
    maria = staff_login("sm-maria", "stadsmissionen")["access_token"]
    for token in (partner_tokens("brg").token(), maria):
        assert (await ask(urls["notifications"], "/deliveries/failed", token))[0] == 403
        for url in urls.values():
            assert (await ask(url, "/metrics", token))[0] == 403
    assert (await ask(urls["notifications"], "/deliveries/failed", operator_tokens().token()))[0] == 200
    for url in urls.values():
        assert (await ask(url, "/metrics", monitoring_tokens().token()))[0] == 200


async def test_tokens_already_issued_still_count_while_the_identity_provider_is_stopped(served):
    _, urls, _, _ = served
    token = partner_tokens("stadsmissionen").token()
    assert (await ask(urls["referrals"], "/referrals", token))[0] == 200  # the service has the keys
    with identity_provider_stopped():
        assert (await ask(urls["referrals"], "/referrals", token))[0] == 200
        assert (await ask(urls["referrals"], "/directory", token))[0] == 200


async def test_every_read_allowed_or_refused_is_in_the_access_log(served):
    dsns, urls, rid, _ = served
    seen = {service: await last_seq(dsns[service]) for service in ("referrals", "notifications")}
    stadsmissionen, brg = partner_tokens("stadsmissionen").token(), partner_tokens("brg").token()
    maria = staff_login("sm-maria", "stadsmissionen")["access_token"]
    await ask(urls["referrals"], f"/referral?id={rid}", stadsmissionen)
    await ask(urls["referrals"], f"/referral?id={rid}", brg)
    await ask(urls["referrals"], f"/audit?id={rid}")
    await ask(urls["referrals"], "/data-key?participant_ref=" + "ab" * 32, brg)
    await ask(urls["notifications"], "/inbox", maria)
    logged = await rows(
        dsns["referrals"],
        "SELECT caller, partner, route, object_id, status FROM access_log WHERE seq > $1 ORDER BY seq",
        seen["referrals"],
    )
    assert [tuple(r) for r in logged] == [
        ("partner-stadsmissionen", "stadsmissionen", "/referral", rid, 200),
        ("partner-brg", "brg", "/referral", rid, 404),
        (None, None, "/audit", rid, 401),
        ("partner-brg", "brg", "/data-key", "ab" * 32, 404),
    ]
    inbox = await rows(
        dsns["notifications"],
        "SELECT caller, partner, route, status FROM access_log WHERE seq > $1 ORDER BY seq",
        seen["notifications"],
    )
    assert [tuple(r) for r in inbox] == [("sm-maria", "stadsmissionen", "/inbox", 200)]


async def test_only_an_operator_suspends_admits_or_removes_a_partner(served):
    dsns, urls, _, _ = served
    maria = staff_login("sm-maria", "stadsmissionen")["access_token"]
    async with httpx.AsyncClient(timeout=10) as client:
        for token in (partner_tokens("stadsmissionen").token(), partner_tokens("brg").token(), maria):
            headers = {"authorization": f"Bearer {token}"}
            standing = await client.put(
                f"{urls['referrals']}/partners/brg/standing", json={"status": "suspended"}, headers=headers
            )
            admitted = await client.put(
                f"{urls['referrals']}/partners/mallory",
                json={"name": "Mallory", "signing_key": "A" * 43 + "="},
                headers=headers,
            )
            assert (standing.status_code, admitted.status_code) == (403, 403)
    standings = await rows(dsns["referrals"], "SELECT status FROM partner_standing WHERE partner_id = 'brg'")
    assert [r["status"] for r in standings] == ["active"]
    assert await rows(dsns["referrals"], "SELECT 1 FROM partners WHERE id = 'mallory'") == []
