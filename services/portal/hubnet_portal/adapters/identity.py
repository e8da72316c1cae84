"""The identity provider (Keycloak's OpenID Connect endpoints) as the portal's public client
`portal-<partner>`: the login page's address, the code exchanged for tokens with the PKCE
verifier, refreshes, and the tokens checked as every service checks them (service/auth.py)."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

import httpx
from joserfc import jws

from hubnet_common.service.auth import Caller, TokenVerifier, Unauthenticated
from hubnet_portal.domain.pkce import challenge_of
from hubnet_portal.domain.session import PendingLogin, Tokens
from hubnet_portal.handlers.ports import NotLoggedIn

# The audience of the access token the portal forwards; every staff token names all services.
API_AUDIENCE = "hubnet-referrals"


class OpenIdProvider:
    def __init__(
        self, issuer: str, client_id: str, redirect_uri: str, after_logout: str, *, leeway_seconds: int = 30
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.client_id, self.redirect_uri, self.after_logout = client_id, redirect_uri, after_logout
        self._access = TokenVerifier(self.issuer, API_AUDIENCE, leeway_seconds=leeway_seconds)
        self._id = TokenVerifier(self.issuer, client_id, leeway_seconds=leeway_seconds)
        self._http = httpx.AsyncClient(timeout=10.0)

    @property
    def _endpoint(self) -> str:
        return f"{self.issuer}/protocol/openid-connect"

    def login_address(self, pending: PendingLogin) -> str:
        query = {
            "client_id": self.client_id,
            "response_type": "code",
            "scope": "openid",
            "redirect_uri": self.redirect_uri,
            "state": pending.state,
            "nonce": pending.nonce,
            "code_challenge": challenge_of(pending.verifier),
            "code_challenge_method": "S256",
        }
        return f"{self._endpoint}/auth?{urlencode(query)}"

    def logout_address(self, id_token: str | None) -> str:
        query = {"client_id": self.client_id, "post_logout_redirect_uri": self.after_logout}
        if id_token:
            query["id_token_hint"] = id_token
        return f"{self._endpoint}/logout?{urlencode(query)}"

    async def exchange(self, code: str, verifier: str) -> Tokens:
        return await self._tokens(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.redirect_uri,
                "code_verifier": verifier,
            }
        )

    async def refresh(self, refresh_token: str) -> Tokens:
        return await self._tokens({"grant_type": "refresh_token", "refresh_token": refresh_token})

    async def staff_of(self, tokens: Tokens, nonce: str | None) -> Caller:
        try:
            caller = await self._access.verify(tokens.access_token)
            if tokens.id_token is not None:
                await self._id.verify(tokens.id_token)
        except Unauthenticated as exc:
            raise NotLoggedIn(str(exc)) from None
        if caller.client != self.client_id:
            raise NotLoggedIn(f"a token of {caller.client!r}, not of {self.client_id!r}")
        if nonce is not None and tokens.id_token is not None and _nonce_of(tokens.id_token) != nonce:
            raise NotLoggedIn("the id token's nonce is not this login's")
        return caller

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _tokens(self, form: dict[str, str]) -> Tokens:
        answer = await self._http.post(f"{self._endpoint}/token", data={**form, "client_id": self.client_id})
        if answer.status_code != 200:
            raise NotLoggedIn(f"the identity provider answered {answer.status_code}")
        body: dict[str, Any] = answer.json()
        return Tokens(
            access_token=body["access_token"],
            refresh_token=body.get("refresh_token"),
            id_token=body.get("id_token"),
            access_expires_at=time.time() + float(body.get("expires_in", 60)),
        )


def _nonce_of(id_token: str) -> str | None:
    # Its signature was checked above; only the claim is read here.
    return json.loads(jws.extract_compact(id_token.encode()).payload).get("nonce")
