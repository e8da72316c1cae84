"""The `hubnet` realm of the local Keycloak (`make up`), made equal to `ops/identity.py`, and the
local secrets: one file per client secret and user password in `.local/keycloak/secrets/`
(HUBNET_LOCAL_IDENTITIES, mode 0600), made once and kept.

    python -m hubnet_common.ops.local.keycloak_realm apply   # infra.sh, after Keycloak answers

`apply` logs in as the bootstrap admin (its password in `secrets/admin`), makes the realm if it is
not there, sets its settings and user profile, and imports groups, roles, clients and users,
overwriting the ones that are there: a second run changes nothing a user would notice. It never
deletes: a staff member taken out of the seed is disabled by hand (docs/operations.md).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from hubnet_common.ops.identity import REALM, Network, Secrets, realm, realm_settings, user_profile
from hubnet_common.ops.local.credentials import ensure_password

IDENTITIES_VARIABLE = "HUBNET_LOCAL_IDENTITIES"
URL_VARIABLE = "HUBNET_OIDC_URL"


def keycloak_url() -> str:
    """Where the local Keycloak answers: HUBNET_OIDC_URL, else the issuer's server (HUBNET_OIDC_ISSUER
    in .local/env, on whatever port `make up` gave it, or the settings' default issuer)."""
    from hubnet_common.service.settings import Settings

    issuer = os.environ.get("HUBNET_OIDC_ISSUER") or Settings.model_fields["oidc_issuer"].default
    return os.environ.get(URL_VARIABLE) or issuer.split("/realms/", 1)[0]


def identities_dir() -> Path:
    value = os.environ.get(IDENTITIES_VARIABLE)
    if not value:
        raise LookupError(f"no local identities: {IDENTITIES_VARIABLE} is not set (source .local/env)")
    return Path(value)


def secret(name: str, directory: Path | None = None) -> str:
    """The local secret of a client or the password of a user, made once."""
    directory = directory or identities_dir()
    ensure_password(directory, name)
    return (directory / name).read_text().strip()


def local_secrets(directory: Path) -> Secrets:
    return Secrets(client=lambda name: secret(name, directory), user=lambda name: secret(name, directory))


class Admin:
    """Keycloak's admin REST API, as the bootstrap admin of the master realm."""

    def __init__(self, url: str, password: str) -> None:
        self.url = url.rstrip("/")
        token = self._call(
            "POST",
            f"{self.url}/realms/master/protocol/openid-connect/token",
            form={"grant_type": "password", "client_id": "admin-cli", "username": "admin", "password": password},
        )
        self.token = token["access_token"]

    def call(self, method: str, path: str, body: Any = None) -> Any:
        return self._call(method, f"{self.url}/admin/realms{path}", body=body)

    def _call(self, method: str, url: str, *, body: Any = None, form: dict[str, str] | None = None) -> Any:
        headers = {"accept": "application/json"}
        data = None
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["content-type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["content-type"] = "application/json"
        if getattr(self, "token", None):
            headers["authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                text = response.read()
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                raise LookupError(url) from None
            raise RuntimeError(f"keycloak: {method} {url}: {exc.code} {exc.read()[:500]!r}") from None
        return json.loads(text) if text else None


def apply(admin: Admin, network: Network, secrets: Secrets) -> dict[str, int]:
    wanted = realm(network, secrets)
    try:
        admin.call("GET", f"/{REALM}")
    except LookupError:
        admin.call("POST", "", {**realm_settings(), "components": wanted["components"]})
    admin.call("PUT", f"/{REALM}", realm_settings())
    admin.call("PUT", f"/{REALM}/users/profile", user_profile())
    answer = admin.call(
        "POST",
        f"/{REALM}/partialImport",
        {
            "ifResourceExists": "OVERWRITE",
            "roles": wanted["roles"],
            "groups": wanted["groups"],
            "clients": wanted["clients"],
            "users": wanted["users"],
        },
    )
    return {key: int(answer.get(key, 0)) for key in ("added", "overwritten", "skipped")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="keycloak_realm", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["apply"])
    parser.parse_args(argv)
    directory = identities_dir()
    admin = Admin(keycloak_url(), (directory / "admin").read_text().strip())
    counts = apply(admin, Network(), local_secrets(directory))
    print(
        f"[infra] realm {REALM}: {counts['added'] + counts['overwritten']} groups, roles, clients and users in place",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
