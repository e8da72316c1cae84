"""`hubnet admin partner`: a partner joins, is suspended, resumed or removed in one step each,
with no code change and no restart (docs/adr/0015-onboarding-as-data.md, docs/operations.md).

What `add` does, in this order, each part idempotent (a second run changes nothing and says so):
1. the directory entry with its public keys (`PUT /partners/<id>` on the referrals service, as the
   operator): from then on every service knows it; a removed partner or another signing key
   stops everything here, before anything else is touched;
2. its replies topic `partner.<id>.replies.v1`;
3. its Kafka user `partner-<id>` (SCRAM), its ACLs (ops/access.py) and client quotas;
4. its identity-provider clients `partner-<id>` and `portal-<id>` and its group (ops/identity.py).

`suspend` puts the standing in the directory first (every service refuses its commands with
`partner-suspended` from then on), then takes away its write ACLs and disables its clients;
`resume` gives them back and makes it active last; `remove` takes its user, ACLs, quotas, clients
and group away after the directory says `removed`. The replies topic stays: answers already in an
outbox must still land; it empties with its retention.

The Kafka and identity-provider parts use the admins' logins of the local stack (`make up`): the
broker's super user and Keycloak's bootstrap admin. In a cluster the same users, ACLs, topic and
realm entries are rendered from the partners' file (ops/partners.py, deploy/k8s/generate.py).
"""

from __future__ import annotations

import asyncio
import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hubnet_common.ops.access import partner_principal
from hubnet_common.ops.identity import REALM, Secrets, groups, partner_client, portal_client, service_account
from hubnet_common.service.auth import PARTNER_SYSTEM

PARTNER_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
Say = Callable[[str], None]


class OnboardingFailed(Exception):
    """A step that could not be done; the message says which and why (`code`: the service's, if any)."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Admission:
    partner_id: str
    name: str
    signing_key: str  # Ed25519 public key, base64
    encryption_key: str | None = None  # X25519 public key, base64


def check_id(partner_id: str) -> str:
    if not PARTNER_ID.fullmatch(partner_id):
        raise OnboardingFailed(
            f"a partner id is lower-case letters, digits and dashes (no dots), at most 63: not {partner_id!r}"
        )
    return partner_id


# --- the directory ------------------------------------------------------------------------------


class Directory:
    """The referrals service's operator routes, with an operator's token."""

    def __init__(self, referrals_url: str, authorization: Callable[[], dict[str, str]]) -> None:
        self.url = referrals_url.rstrip("/")
        self.authorization = authorization

    def admit(self, admission: Admission) -> dict[str, Any]:
        body = {"name": admission.name, "signing_key": admission.signing_key}
        if admission.encryption_key:
            body["encryption_key"] = admission.encryption_key
        return self._put(f"/partners/{admission.partner_id}", body)

    def set_standing(self, partner_id: str, status: str) -> dict[str, Any]:
        return self._put(f"/partners/{partner_id}/standing", {"status": status})

    def _put(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.url}{path}"
        headers = {"content-type": "application/json", **self.authorization()}
        request = urllib.request.Request(url, data=json.dumps(body).encode(), method="PUT", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")
            found = json.loads(detail) if detail.startswith("{") else {}
            said = found.get("error") or found.get("detail") or detail
            code = found.get("code")
            raise OnboardingFailed(
                f"the directory refused ({exc.code}{', ' + code if code else ''}): {said}", code
            ) from None
        except OSError as exc:
            raise OnboardingFailed(f"cannot reach the referrals service at {url}: {exc}") from exc


# --- Kafka --------------------------------------------------------------------------------------


class Kafka:
    """The partner's topic, user, ACLs and quotas on the broker, as its super user."""

    def __init__(self, bootstrap: str, topic_prefix: str = "") -> None:
        self.bootstrap = bootstrap
        self.topic_prefix = topic_prefix

    def admit(self, partner_id: str, say: Say, *, writes: bool = True) -> None:
        from hubnet_common.ops.local import kafka_users
        from hubnet_common.ops.local.credentials import users_dir
        from hubnet_common.sdk.topics import on_broker, replies_topic
        from hubnet_common.service.kafka import ensure_topics

        topic = replies_topic(partner_id)
        created = asyncio.run(
            ensure_topics(self.bootstrap, (topic,), prefix=self.topic_prefix, **kafka_users.admin_login())
        )
        say(f"replies topic {on_broker(topic.name, self.topic_prefix)}: {'created' if created else 'already there'}")
        directory = users_dir()
        if directory is None:
            raise OnboardingFailed(
                "no local Kafka users (HUBNET_LOCAL_KAFKA_USERS); in a cluster the KafkaUser rendered from "
                "the partners' file makes partner-<id>"
            )
        principal = partner_principal(partner_id, topic_prefix=self.topic_prefix)
        admin = kafka_users.admin_client(self.bootstrap)
        try:
            made = kafka_users.ensure_users(admin, [principal.user], directory)
            say(f"Kafka user {principal.user} (SCRAM): {'made' if made else 'already there'}")
            added, removed = kafka_users.reconcile_one(admin, principal, topic_prefix=self.topic_prefix, writes=writes)
            kind = "all" if writes else "read only: suspended"
            say(f"ACLs of {principal.user} ({kind}): {added} added, {removed} removed")
            quota = kafka_users.ensure_quota(admin, principal)
            say(f"client quotas of {principal.user}: {'set' if quota else 'already set'}")
        finally:
            admin.close()

    def drop(self, partner_id: str, say: Say) -> None:
        from hubnet_common.ops.local import kafka_users
        from hubnet_common.ops.local.credentials import users_dir

        user = partner_principal(partner_id).user
        admin = kafka_users.admin_client(self.bootstrap)
        try:
            removed = kafka_users.drop_user(admin, user)
        finally:
            admin.close()
        if (directory := users_dir()) is not None:
            (directory / user).unlink(missing_ok=True)  # the local stack's copy of its password
        say(f"Kafka user {user}: {removed} ACLs and its quotas removed, its login refused")


# --- the identity provider ----------------------------------------------------------------------


class Realm:
    """The partner's clients and group in the realm, through Keycloak's admin API."""

    def __init__(self, admin: Any, secrets: Secrets, secrets_dir: Path | None = None) -> None:
        self.admin = admin  # ops/local/keycloak_realm.Admin
        self.secrets = secrets
        self.secrets_dir = secrets_dir  # where the local stack keeps client secrets, if it does

    def admit(self, partner_id: str, say: Say, *, enabled: bool = True) -> None:
        from hubnet_common.ops.identity import Network

        network = Network(partners=(partner_id,), staff=())
        system = {**partner_client(partner_id, self.secrets), "enabled": enabled}
        portal = {**portal_client(partner_id, network.portal_redirects), "enabled": enabled}
        answer = self.admin.call(
            "POST",
            f"/{REALM}/partialImport",
            {
                "ifResourceExists": "OVERWRITE",
                "groups": groups(network),
                "clients": [system, portal],
                "users": [service_account(system["clientId"], [PARTNER_SYSTEM])],
            },
        )
        state = "enabled" if enabled else "disabled: suspended"
        say(
            f"identity provider: clients partner-{partner_id}, portal-{partner_id} ({state}) and group "
            f"{partner_id}: {answer.get('added', 0)} added, {answer.get('overwritten', 0)} brought up to date"
        )

    def drop(self, partner_id: str, say: Say) -> None:
        gone = []
        for client_id in (f"partner-{partner_id}", f"portal-{partner_id}"):
            for found in self.admin.call("GET", f"/{REALM}/clients?clientId={client_id}") or []:
                self.admin.call("DELETE", f"/{REALM}/clients/{found['id']}")  # its service account goes with it
                gone.append(client_id)
        for group in self.admin.call("GET", f"/{REALM}/groups?search={partner_id}&exact=true") or []:
            if group.get("name") == partner_id:
                self.admin.call("DELETE", f"/{REALM}/groups/{group['id']}")
                gone.append(f"group {partner_id}")
        if self.secrets_dir is not None:
            (self.secrets_dir / f"partner-{partner_id}").unlink(missing_ok=True)
        say(f"identity provider: {', '.join(gone) if gone else 'nothing of ' + partner_id} removed")


# --- the steps ----------------------------------------------------------------------------------


@dataclass
class Onboarding:
    directory: Directory
    kafka: Kafka
    realm: Realm
    say: Say = print

    def add(self, admission: Admission) -> str:
        check_id(admission.partner_id)
        entry = self.directory.admit(admission)
        status = entry["status"]
        self.say(f"directory: {admission.partner_id} {'admitted' if entry['changed'] else 'already there'} ({status})")
        active = status == "active"
        self.kafka.admit(admission.partner_id, self.say, writes=active)
        self.realm.admit(admission.partner_id, self.say, enabled=active)
        return status

    def suspend(self, partner_id: str) -> str:
        entry = self.directory.set_standing(check_id(partner_id), "suspended")
        self.say(f"directory: {partner_id} {'suspended' if entry['changed'] else 'was suspended already'}")
        self.kafka.admit(partner_id, self.say, writes=False)
        self.realm.admit(partner_id, self.say, enabled=False)
        return entry["status"]

    def resume(self, partner_id: str) -> str:
        check_id(partner_id)
        self.kafka.admit(partner_id, self.say, writes=True)
        self.realm.admit(partner_id, self.say, enabled=True)
        entry = self.directory.set_standing(partner_id, "active")
        self.say(f"directory: {partner_id} {'resumed' if entry['changed'] else 'was active already'}")
        return entry["status"]

    def remove(self, partner_id: str) -> str:
        """Also what is left of a partner the directory never knew (an `add` that stopped half way)."""
        try:
            entry = self.directory.set_standing(check_id(partner_id), "removed")
        except OnboardingFailed as failed:
            if failed.code != "partner-unknown":
                raise
            self.say(f"directory: no partner {partner_id} there")
        else:
            self.say(f"directory: {partner_id} {'removed' if entry['changed'] else 'was removed already'}")
        self.kafka.drop(partner_id, self.say)
        self.realm.drop(partner_id, self.say)
        return "removed"


def local_onboarding(say: Say = print) -> Onboarding:
    """The steps against the local stack (`make up`, a shell that sourced `.local/env`): the
    referrals service of HUBNET_REFERRALS_URL, the broker's and Keycloak's admins."""
    from hubnet_common.ops.identity import OPERATOR_CLIENT
    from hubnet_common.ops.local.identities import tokens_of
    from hubnet_common.ops.local.keycloak_realm import Admin, identities_dir, keycloak_url, local_secrets
    from hubnet_common.service.settings import Settings

    settings = Settings()
    try:
        secrets_dir = identities_dir()
        admin = Admin(keycloak_url(), (secrets_dir / "admin").read_text().strip())
    except (LookupError, OSError, RuntimeError) as exc:
        raise OnboardingFailed(f"cannot log in to the identity provider as its admin: {exc}") from exc
    operator = tokens_of(OPERATOR_CLIENT)
    return Onboarding(
        Directory(settings.referrals_url, operator.authorization),
        Kafka(settings.kafka_bootstrap, settings.topic_prefix),
        Realm(admin, local_secrets(secrets_dir), secrets_dir),
        say,
    )
