"""Logging in on the local stack's identity provider (`make up`): a partner system's or an
operator tool's client credentials, and a staff member's login on the provider's own page
(authorization code with PKCE, as a browser does it). The secrets and passwords are those
`ops/local/keycloak_realm.py` keeps in HUBNET_LOCAL_IDENTITIES.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import os
import re
import secrets
from urllib.parse import parse_qs, urlparse

import httpx

from hubnet_common.ops.identity import MONITORING_CLIENT, OPERATOR_CLIENT
from hubnet_common.ops.local.keycloak_realm import identities_dir
from hubnet_common.sdk.tokens import ClientCredentials
from hubnet_common.service.settings import Settings

_LOGIN_FORM = re.compile(r'<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"', re.S)
PORTAL_REDIRECT = "http://127.0.0.1/signed-in"


def issuer() -> str:
    return os.environ.get("HUBNET_OIDC_ISSUER") or Settings().oidc_issuer


def local_secret(name: str) -> str:
    try:
        return (identities_dir() / name).read_text().strip()
    except FileNotFoundError:
        raise LookupError(f"no local identity {name} (make up makes the realm's clients and users)") from None


@functools.cache
def client_tokens(client_id: str) -> ClientCredentials:
    """One login per client and process: its token is kept until shortly before it runs out, so
    the tools and tests that ask again do not fetch a new one each time."""
    return ClientCredentials(issuer(), client_id, local_secret(client_id))


def partner_tokens(partner_id: str) -> ClientCredentials:
    return client_tokens(f"partner-{partner_id}")


def operator_tokens() -> ClientCredentials:
    return client_tokens(OPERATOR_CLIENT)


def monitoring_tokens() -> ClientCredentials:
    return client_tokens(MONITORING_CLIENT)


def tokens_of(client_id: str) -> ClientCredentials:
    """A tool's login: the client of HUBNET_OIDC_CLIENT_ID / HUBNET_OIDC_CLIENT_SECRET when set (a
    deployment gives its tools their own), else `client_id`'s on the local stack."""
    given = os.environ.get("HUBNET_OIDC_CLIENT_ID"), os.environ.get("HUBNET_OIDC_CLIENT_SECRET")
    if all(given):
        return ClientCredentials(issuer(), *given)  # type: ignore[arg-type]
    return client_tokens(client_id)


def staff_login(username: str, partner_id: str, password: str | None = None) -> dict:
    """A staff member's tokens from the login page of their partner's portal client."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state = secrets.token_urlsafe(16)
    client_id = f"portal-{partner_id}"
    with httpx.Client(timeout=15.0, follow_redirects=False) as browser:
        page = browser.get(
            f"{issuer()}/protocol/openid-connect/auth",
            params={
                "client_id": client_id,
                "response_type": "code",
                "scope": "openid",
                "redirect_uri": PORTAL_REDIRECT,
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            },
        )
        form = _LOGIN_FORM.search(page.text)
        if form is None:
            raise LookupError(f"no login form for {client_id} (status {page.status_code})")
        # Keycloak marks its cookies Secure; a browser sends them to http://127.0.0.1 too, httpx does not.
        cookie = "; ".join(f"{name}={value}" for name, value in page.cookies.items())
        answer = browser.post(
            html.unescape(form.group(1)),
            data={"username": username, "password": password or local_secret(username), "credentialId": ""},
            headers={"cookie": cookie},
        )
        location = answer.headers.get("location", "")
        query = parse_qs(urlparse(location).query)
        if not location.startswith(PORTAL_REDIRECT) or query.get("state") != [state] or "code" not in query:
            raise PermissionError(f"{username} could not log in to {client_id} (status {answer.status_code})")
        tokens = browser.post(
            f"{issuer()}/protocol/openid-connect/token",
            data={
                "grant_type": "authorization_code",
                "client_id": client_id,
                "code": query["code"][0],
                "redirect_uri": PORTAL_REDIRECT,
                "code_verifier": verifier,
            },
        )
        tokens.raise_for_status()
        return tokens.json()
