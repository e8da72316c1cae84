"""Bearer tokens checked by the services (service/auth.py), with keys made here and a fake
publication of them; tests/integration/test_identity_provider.py does it with Keycloak's."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from hubnet_common.service.auth import Caller, TokenVerifier, Unauthenticated

ISSUER = "https://id.example.org/realms/hubnet"
NOW = 1_800_000_000


def rsa(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"}, private=True)


REALM_KEY, OTHER_KEY, NEW_KEY = rsa("k1"), rsa("k1"), rsa("k2")


class Published:
    """The realm's key publication: which keys, how often asked, whether it answers."""

    def __init__(self, *keys: RSAKey) -> None:
        self.keys = list(keys)
        self.asked = 0
        self.down = False

    async def __call__(self, url: str) -> Any:
        self.asked += 1
        if self.down:
            raise ConnectionError("identity provider restarting")
        return {"keys": [key.as_dict(private=False) for key in self.keys]}


def token(key: Any = REALM_KEY, alg: str = "RS256", **claims: Any) -> str:
    body = {
        "iss": ISSUER,
        "aud": ["hubnet-referrals", "hubnet-events"],
        "sub": "u-1",
        "azp": "partner-brg",
        "exp": NOW + 300,
        "iat": NOW,
        "partner": "brg",
        "roles": ["partner-system"],
        **claims,
    }
    return jwt.encode({"alg": alg, "kid": key.kid}, {k: v for k, v in body.items() if v is not None}, key)


def verifier(published: Published, *, at: list[float] | None = None) -> TokenVerifier:
    clock = at or [NOW]
    return TokenVerifier(ISSUER, "hubnet-referrals", fetch=published, clock=lambda: clock[0])


def check(verifier: TokenVerifier, value: str) -> Caller:
    return asyncio.run(verifier.verify(value))


def test_a_realm_token_says_who_asks():
    caller = check(
        verifier(Published(REALM_KEY)), token(staff_id="sm-maria", hubs=["hjallbo"], partner="stadsmissionen")
    )
    assert (caller.partner, caller.staff_id, caller.hubs, caller.who) == (
        "stadsmissionen",
        "sm-maria",
        ("hjallbo",),
        "sm-maria",
    )
    assert caller.has("partner-system")


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(lambda: token(exp=NOW - 60), id="expired"),
        pytest.param(lambda: token(nbf=NOW + 120), id="not-yet-valid"),
        pytest.param(lambda: token(exp=None), id="no-expiry"),
        pytest.param(lambda: token(aud=["hubnet-notifications"]), id="another-audience"),
        pytest.param(lambda: token(iss="https://id.example.org/realms/master"), id="another-issuer"),
        pytest.param(lambda: token(key=OTHER_KEY), id="signed-by-another-key-with-the-same-id"),
        pytest.param(lambda: token(key=OctKey.generate_key(256, parameters={"kid": "k1"}), alg="HS256"), id="hmac"),
        pytest.param(lambda: "not.a.token", id="garbage"),
    ],
)
def test_a_token_that_is_not_the_realms_for_this_service_now_is_refused(bad):
    with pytest.raises(Unauthenticated):
        check(verifier(Published(REALM_KEY)), bad())


def test_an_unknown_key_id_fetches_the_keys_again_once_in_a_while():
    published = Published(REALM_KEY)
    clock = [float(NOW)]
    tokens = verifier(published, at=clock)
    check(tokens, token())
    published.keys.append(NEW_KEY)  # the realm rotates its key, a while after the last fetch
    clock[0] += 11
    assert check(tokens, token(key=NEW_KEY)).partner == "brg"
    assert published.asked == 2
    made_up = rsa("k-made-up")
    clock[0] += 11
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            check(tokens, token(key=made_up))
    assert published.asked == 3  # one fetch for the flood of made-up ids, not one each
    clock[0] += 11
    with pytest.raises(Unauthenticated):
        check(tokens, token(key=made_up))
    assert published.asked == 4


def test_tokens_already_issued_keep_working_while_the_provider_is_away():
    published = Published(REALM_KEY)
    clock = [float(NOW)]
    tokens = verifier(published, at=clock)
    check(tokens, token())
    published.down = True
    clock[0] += 60
    assert check(tokens, token(exp=NOW + 300)).partner == "brg"
    with pytest.raises(Unauthenticated):
        check(tokens, token(key=NEW_KEY))  # a key it never saw cannot be learnt now


def test_a_provider_away_at_the_first_request_refuses_rather_than_lets_in():
    published = Published(REALM_KEY)
    published.down = True
    with pytest.raises(Unauthenticated):
        check(verifier(published), token())
