"""The local identity provider (Keycloak, `make up`) and the services' token checks against it:
the realm made from the seed data, real tokens, and tokens that must not count."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from hubnet_common.ops.identity import REALM
from hubnet_common.ops.local.identities import issuer, local_secret, partner_tokens, staff_login
from hubnet_common.ops.local.keycloak_realm import Admin
from hubnet_common.sdk.tokens import ClientCredentials, TokenRefused
from hubnet_common.service.auth import TokenVerifier, Unauthenticated

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def identity_provider():
    if not os.environ.get("HUBNET_LOCAL_IDENTITIES"):
        pytest.fail("no local identity provider: run `make test` (or `make up` and `source .local/env`)")
    return issuer()


def admin() -> Admin:
    return Admin(issuer().rsplit("/realms/", 1)[0], local_secret("admin"))


async def test_a_partner_system_logs_in_as_itself_and_each_service_knows_it(identity_provider):
    token = partner_tokens("stadsmissionen").token()
    for service in ("referrals", "events", "notifications"):
        caller = await TokenVerifier(identity_provider, f"hubnet-{service}").verify(token)
        assert (caller.partner, caller.staff_id, caller.client) == ("stadsmissionen", None, "partner-stadsmissionen")
        assert caller.has("partner-system")


async def test_a_staff_member_logs_in_on_the_login_page_with_partner_hubs_and_roles(identity_provider):
    tokens = staff_login("bb-erik", "bostadsbolaget")
    caller = await TokenVerifier(identity_provider, "hubnet-notifications").verify(tokens["access_token"])
    assert (caller.staff_id, caller.partner) == ("bb-erik", "bostadsbolaget")
    assert set(caller.hubs) == {"hammarkullen", "biskopsgarden"}
    assert {"hub-host", "receives-referrals"} <= caller.roles
    claims = jwt.decode(tokens["access_token"], _realm_keys(identity_provider)).claims
    assert "email" not in claims and "name" not in claims  # the services get no more than they read


def test_a_wrong_secret_or_password_gets_no_token(identity_provider):
    with pytest.raises(TokenRefused):
        ClientCredentials(identity_provider, "partner-brg", "not-the-secret").token()
    with pytest.raises(PermissionError):
        staff_login("brg-sara", "brg", password="not-the-password")


def refused(verifier: TokenVerifier, token: str) -> bool:
    try:
        asyncio.run(verifier.verify(token))
    except Unauthenticated:
        return True
    return False


def test_tokens_that_are_not_for_this_service_are_refused(identity_provider):
    referrals = TokenVerifier(identity_provider, "hubnet-referrals")
    # A token of another application of the same realm: no hubnet audience.
    client_id = f"elsewhere-{os.getpid()}"
    realm = admin()
    realm.call(
        "POST",
        f"/{REALM}/clients",
        {"clientId": client_id, "secret": "s3cret-elsewhere", "serviceAccountsEnabled": True, "publicClient": False},
    )
    try:
        elsewhere = ClientCredentials(identity_provider, client_id, "s3cret-elsewhere").token()
        assert refused(referrals, elsewhere)
    finally:
        (found,) = realm.call("GET", f"/{REALM}/clients?clientId={client_id}")
        realm.call("DELETE", f"/{REALM}/clients/{found['id']}")
    # A token of the master realm (another issuer), and one made with a key of our own under the realm's key id.
    master = httpx.post(
        f"{identity_provider.rsplit('/realms/', 1)[0]}/realms/master/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": "admin-cli",
            "username": "admin",
            "password": local_secret("admin"),
        },
    ).json()["access_token"]
    assert refused(referrals, master)
    genuine = jwt.decode(partner_tokens("brg").token(), _realm_keys(identity_provider))
    forged_key = RSAKey.generate_key(2048, parameters={"kid": genuine.header["kid"]}, private=True)
    forged = jwt.encode(
        {"alg": "RS256", "kid": genuine.header["kid"]}, {**genuine.claims, "partner": "stadsmissionen"}, forged_key
    )
    assert refused(referrals, forged)
    # An expired token: the realm's own, checked after it ran out.
    later = TokenVerifier(identity_provider, "hubnet-referrals", clock=lambda: time.time() + 3600)
    assert refused(later, partner_tokens("brg").token())
    assert not refused(referrals, partner_tokens("brg").token())


async def test_tokens_already_issued_still_count_while_the_identity_provider_is_stopped(identity_provider):
    token = partner_tokens("poseidon").token()
    verifier = TokenVerifier(identity_provider, "hubnet-events")
    assert (await verifier.verify(token)).partner == "poseidon"
    pid = int(Path(os.environ["HUBNET_LOCAL_IDENTITIES"]).parent.joinpath("keycloak.pid").read_text())
    os.kill(pid, signal.SIGSTOP)  # it answers nothing, as when it restarts
    try:
        assert (await verifier.verify(token)).partner == "poseidon"
        with pytest.raises(Unauthenticated):  # a service started now cannot learn the keys: it refuses
            await TokenVerifier(identity_provider, "hubnet-events").verify(token)
    finally:
        os.kill(pid, signal.SIGCONT)


def _realm_keys(identity_provider: str):
    from joserfc.jwk import KeySet

    keys = httpx.get(f"{identity_provider}/protocol/openid-connect/certs").json()["keys"]
    return KeySet.import_key_set({"keys": [key for key in keys if key.get("alg") == "RS256"]})
