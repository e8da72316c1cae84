"""A partner system's access tokens for hubnet's HTTP APIs: OAuth 2.0 client credentials at the
realm's token endpoint, kept until shortly before they expire.

    tokens = ClientCredentials("https://id.example.org/realms/hubnet", "partner-brg", secret)
    headers = {"authorization": f"Bearer {tokens.token()}"}
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable

_EARLY_SECONDS = 30  # ask for a new token this long before the old one expires


class TokenRefused(PermissionError):
    """The identity provider gave no token: wrong client id or secret, or the client is disabled."""


class ClientCredentials:
    def __init__(
        self,
        issuer: str,
        client_id: str,
        client_secret: str,
        *,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token_url = f"{issuer.rstrip('/')}/protocol/openid-connect/token"
        self.client_id = client_id
        self._secret = client_secret
        self._timeout = timeout
        self._clock = clock
        self._token: str | None = None
        self._until = float("-inf")
        self._lock = threading.Lock()

    def token(self) -> str:
        with self._lock:
            if self._token is None or self._clock() >= self._until:
                self._token, lifetime = self._fetch()
                self._until = self._clock() + max(lifetime - _EARLY_SECONDS, lifetime / 2)
            return self._token

    def authorization(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token()}"}

    def _fetch(self) -> tuple[str, float]:
        form = urllib.parse.urlencode(
            {"grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self._secret}
        ).encode()
        request = urllib.request.Request(
            self.token_url, data=form, headers={"content-type": "application/x-www-form-urlencoded"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                answer = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            if exc.code in (400, 401):
                raise TokenRefused(
                    f"{self.client_id}: the identity provider refused the client's credentials"
                ) from None
            raise
        return answer["access_token"], float(answer.get("expires_in", 60))
