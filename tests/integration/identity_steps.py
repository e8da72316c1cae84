"""Steps with the local identity provider (`make up`) for the token tests and the attacks: tokens
that must not count with hubnet's services (another application's of the realm, the master
realm's, one forged under the realm's key id, a partner's that runs out in seconds), and the
provider stopped for a while."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from hubnet_common.ops.identity import REALM
from hubnet_common.ops.local.identities import issuer, local_secret
from hubnet_common.ops.local.keycloak_realm import Admin
from hubnet_common.sdk.tokens import ClientCredentials


def admin() -> Admin:
    return Admin(issuer().rsplit("/realms/", 1)[0], local_secret("admin"))


def realm_keys() -> KeySet:
    keys = httpx.get(f"{issuer()}/protocol/openid-connect/certs").json()["keys"]
    return KeySet.import_key_set({"keys": [key for key in keys if key.get("alg") == "RS256"]})


def another_applications_token() -> str:
    """A token of a client of the same realm made for something else: no hubnet audience."""
    client_id = f"elsewhere-{os.getpid()}-{time.monotonic_ns()}"
    realm = admin()
    realm.call(
        "POST",
        f"/{REALM}/clients",
        {"clientId": client_id, "secret": "another-app", "serviceAccountsEnabled": True, "publicClient": False},
    )
    try:
        return ClientCredentials(issuer(), client_id, "another-app").token()
    finally:
        (found,) = realm.call("GET", f"/{REALM}/clients?clientId={client_id}")
        realm.call("DELETE", f"/{REALM}/clients/{found['id']}")


def master_realm_token() -> str:
    """The bootstrap admin's token of the master realm: another issuer."""
    answer = httpx.post(
        f"{issuer().rsplit('/realms/', 1)[0]}/realms/master/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": "admin-cli",
            "username": "admin",
            "password": local_secret("admin"),
        },
    )
    return answer.json()["access_token"]


def forged_like(genuine: str, **claims) -> str:
    """`genuine`'s claims (changed by `claims`), signed by a key of the attacker's under the realm's key id."""
    real = jwt.decode(genuine, realm_keys(), algorithms=["RS256"])
    own_key = RSAKey.generate_key(2048, parameters={"kid": real.header["kid"]}, private=True)
    return jwt.encode({"alg": "RS256", "kid": real.header["kid"]}, {**real.claims, **claims}, own_key)


def short_lived_token(client_id: str, seconds: int) -> str:
    """A token of `client_id`, its client briefly made to give tokens that run out after `seconds`."""
    realm = admin()
    (client,) = realm.call("GET", f"/{REALM}/clients?clientId={client_id}")
    before = dict(client.get("attributes") or {})
    realm.call(
        "PUT",
        f"/{REALM}/clients/{client['id']}",
        {**client, "attributes": {**before, "access.token.lifespan": str(seconds)}},
    )
    try:
        return ClientCredentials(issuer(), client_id, local_secret(client_id)).token()
    finally:
        realm.call("PUT", f"/{REALM}/clients/{client['id']}", {**client, "attributes": before})


@contextlib.contextmanager
def identity_provider_stopped():
    """Keycloak frozen (SIGSTOP): it answers nothing, as while it restarts; thawed after."""
    pid = int((Path(os.environ["HUBNET_LOCAL_IDENTITIES"]).parent / "keycloak.pid").read_text())
    frozen = [pid, *_descendants(pid)]  # kc.sh runs Java as its child unless it re-augments and execs
    for each in frozen:
        os.kill(each, signal.SIGSTOP)
    try:
        yield
    finally:
        for each in frozen:
            os.kill(each, signal.SIGCONT)


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], list(children.get(pid, []))
    while todo:
        child = todo.pop()
        found.append(child)
        todo.extend(children.get(child, []))
    return found
