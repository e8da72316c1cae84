"""The local identity provider (Keycloak, `make up`) and the services' token checks against it:
the realm made from the seed data, real tokens, and tokens that must not count."""

from __future__ import annotations

import asyncio
import os
import time

import pytest
from joserfc import jwt

from hubnet_common.ops.local.identities import issuer, partner_tokens, staff_login
from hubnet_common.sdk.tokens import ClientCredentials, TokenRefused
from hubnet_common.service.auth import TokenVerifier, Unauthenticated
from tests.integration.identity_steps import (
    another_applications_token,
    forged_like,
    identity_provider_stopped,
    master_realm_token,
    realm_keys,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def identity_provider():
    if not os.environ.get("HUBNET_LOCAL_IDENTITIES"):
        pytest.fail("no local identity provider: run `make test` (or `make up` and `source .local/env`)")
    return issuer()


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
    claims = jwt.decode(tokens["access_token"], realm_keys()).claims
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
    genuine = partner_tokens("brg").token()
    assert not refused(referrals, genuine)
    assert refused(referrals, another_applications_token())  # no hubnet audience
    assert refused(referrals, master_realm_token())  # another issuer
    assert refused(referrals, forged_like(genuine, partner="stadsmissionen"))  # not the realm's key
    # An expired token: the realm's own, checked after it ran out.
    later = TokenVerifier(identity_provider, "hubnet-referrals", clock=lambda: time.time() + 3600)
    assert refused(later, genuine)


async def test_tokens_already_issued_still_count_while_the_identity_provider_is_stopped(identity_provider):
    token = partner_tokens("poseidon").token()
    verifier = TokenVerifier(identity_provider, "hubnet-events")
    assert (await verifier.verify(token)).partner == "poseidon"
    with identity_provider_stopped():
        assert (await verifier.verify(token)).partner == "poseidon"
        with pytest.raises(Unauthenticated):  # a service started now cannot learn the keys: it refuses
            await TokenVerifier(identity_provider, "hubnet-events").verify(token)
