"""The users and ACLs of the local broker, made from the access matrix (`hubnet_common.ops.access`) as
hubnet-admin; aiokafka has no admin calls for them, kafka-python's admin client has.

    python -m hubnet_common.ops.local.kafka_users password USER   # print it, made once (infra.sh)
    python -m hubnet_common.ops.local.kafka_users apply           # users, quotas, ACLs (make up)

`apply` makes the broker's ACLs equal to the matrix of the environment without prefixes, and each
user's client quotas equal to its `Principal.quota`: what is missing is added, what is not in it is
removed, a second run changes nothing. Environments with a
prefix of their own (a test session `test-1a2b3c4d.`, a fault run `faults-1a2b3c.`, a benchmark)
`grant` the matrix of their prefix while they run and `revoke` it at the end; their topics and
consumer groups are all named with it, and `apply` (which a fault run's broker restart calls)
leaves ACLs on such names alone.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import secrets
import sys
import time
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import NamedTuple

from aiokafka import AIOKafkaProducer
from aiokafka.errors import TopicAuthorizationFailedError
from kafka.admin import (
    ACL,
    ACLFilter,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    KafkaAdminClient,
    ResourcePattern,
    ResourcePatternFilter,
    ResourceType,
    UserScramCredentialUpsertion,
)
from kafka.protocol.admin.client_quotas import AlterClientQuotasRequest, DescribeClientQuotasRequest

from hubnet_common.ops.access import Principal, principals
from hubnet_common.ops.local.credentials import ADMIN, MECHANISM, ensure_password, login, password, users_dir
from hubnet_common.ops.partners import deployment_topics
from hubnet_common.sdk.topics import DIRECTORY
from hubnet_common.sdk.topics import on_broker as on_broker_topic
from hubnet_common.service.kafka import delete_topics, ensure_topics
from hubnet_common.service.settings import Settings

ENVIRONMENT_PREFIX = re.compile(r"[a-z]+-[0-9a-f]{6,}\.")  # what `grant` takes; see the docstring
_RESOURCES = {"topic": ResourceType.TOPIC, "group": ResourceType.GROUP}
_PATTERNS = {"literal": ACLResourcePatternType.LITERAL, "prefix": ACLResourcePatternType.PREFIXED}


class Binding(NamedTuple):
    """One allowed operation of one user on one resource, as the broker keeps it."""

    user: str
    resource: ResourceType
    pattern: ACLResourcePatternType
    name: str
    operation: ACLOperation

    def acl(self) -> ACL:
        return ACL(
            f"User:{self.user}",
            "*",
            self.operation,
            ACLPermissionType.ALLOW,
            ResourcePattern(self.resource, self.name, self.pattern),
        )


def bindings(of: Iterable[Principal]) -> set[Binding]:
    return {
        Binding(p.user, _RESOURCES[acl.resource], _PATTERNS[acl.pattern], acl.name, ACLOperation[op.upper()])
        for p in of
        for acl in p.acls
        for op in acl.operations
    }


def admin_client(bootstrap: str) -> KafkaAdminClient:
    return KafkaAdminClient(bootstrap_servers=bootstrap, client_id=ADMIN, **admin_login())


def on_broker(admin: KafkaAdminClient) -> set[Binding]:
    everything = ACLFilter(
        None,
        None,
        ACLOperation.ANY,
        ACLPermissionType.ANY,
        ResourcePatternFilter(ResourceType.ANY, None, ACLResourcePatternType.ANY),
    )
    acls, _ = admin.describe_acls(everything)
    return {
        Binding(
            a.principal.removeprefix("User:"),
            a.resource_pattern.resource_type,
            a.resource_pattern.pattern_type,
            a.resource_pattern.resource_name,
            a.operation,
        )
        for a in acls
    }


def admin_request(admin: KafkaAdminClient, request):
    """One request to any broker; kafka-python's admin client has no call for client quotas."""

    async def send():
        return await admin._manager.send(request)

    return admin._manager.run(send)


def quotas_on_broker(admin: KafkaAdminClient) -> dict[str, dict[str, float]]:
    """The client quotas of every user that has any: user -> {quota key: value}."""
    any_user = DescribeClientQuotasRequest.ComponentData(entity_type="user", match_type=2, match=None)
    response = admin_request(admin, DescribeClientQuotasRequest(components=[any_user], strict=True))
    if response.error_code:
        raise RuntimeError(f"the broker did not describe the client quotas: {response.error_message}")
    return {
        entry.entity[0].entity_name: {value.key: value.value for value in entry.values}
        for entry in response.entries or []
    }


def _quota_entry(user: str, wanted: dict[str, float], present: dict[str, float]):
    entry = AlterClientQuotasRequest.EntryData
    return entry(
        entity=[entry.EntityData(entity_type="user", entity_name=user)],
        ops=[
            *(entry.OpData(key=key, value=float(value), remove=False) for key, value in sorted(wanted.items())),
            *(entry.OpData(key=key, value=0.0, remove=True) for key in sorted(present.keys() - wanted.keys())),
        ],
    )


def ensure_quotas(admin: KafkaAdminClient, of: Iterable[Principal]) -> list[str]:
    """Every user's client quotas as its principal's, none for a user without; returns the users changed."""
    wanted = {p.user: {k: float(v) for k, v in p.quota.configs().items()} for p in of if p.quota}
    present = quotas_on_broker(admin)
    due = sorted(user for user in wanted.keys() | present.keys() if wanted.get(user, {}) != present.get(user, {}))
    if due:
        entries = [_quota_entry(user, wanted.get(user, {}), present.get(user, {})) for user in due]
        response = admin_request(admin, AlterClientQuotasRequest(entries=entries, validate_only=False))
        if failed := [(e.entity[0].entity_name, e.error_message) for e in response.entries if e.error_code]:
            raise RuntimeError(f"the broker refused client quotas: {failed}")
        until_described(admin, {user: wanted.get(user, {}) for user in due})
    return due


def until_described(admin: KafkaAdminClient, changed: dict[str, dict[str, float]], timeout: float = 15.0) -> None:
    """The broker answers an alteration before its metadata has it: wait until a describe does, so
    that what runs next (a second pass, a client) sees the quotas set."""
    deadline = time.monotonic() + timeout
    while True:
        present = quotas_on_broker(admin)
        if all(present.get(user, {}) == quotas for user, quotas in changed.items()):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"the broker does not show the client quotas set for {sorted(changed)}")
        time.sleep(0.1)


def _create(admin: KafkaAdminClient, wanted: set[Binding]) -> None:
    if wanted and (failed := admin.create_acls([b.acl() for b in sorted(wanted)])["failed"]):
        raise RuntimeError(f"the broker refused ACLs: {failed}")


def _delete(admin: KafkaAdminClient, doomed: set[Binding]) -> None:
    if doomed:
        admin.delete_acls([b.acl() for b in sorted(doomed)])  # an ACL is the exact filter of itself


def ensure_users(admin: KafkaAdminClient, users: Iterable[str], directory: Path) -> list[str]:
    """Give every user a SCRAM credential with its local password; returns the users made or reset."""
    made = {user for user in users if ensure_password(directory, user)}
    described = admin.describe_user_scram_credentials()
    known = {user for user, found in described.items() if not found["error"] and found["credential_infos"]}
    due = sorted(made | (set(users) - known))
    if due:
        admin.alter_user_scram_credentials(
            [UserScramCredentialUpsertion(user, MECHANISM, password(user, directory)) for user in due]
        )
    return due


class Applied(NamedTuple):
    users: list[str]  # made or reset
    quotas: list[str]  # users whose quotas were set or removed
    acls_added: int
    acls_removed: int


def apply(bootstrap: str, directory: Path) -> Applied:
    """Users, their quotas and the ACLs of the matrix on the broker."""
    matrix = principals()
    admin = admin_client(bootstrap)
    try:
        made = ensure_users(admin, [p.user for p in matrix], directory)
        quotas = ensure_quotas(admin, matrix)
        wanted, present = bindings(matrix), on_broker(admin)
        stale = {b for b in present - wanted if not ENVIRONMENT_PREFIX.match(b.name)}
        _create(admin, wanted - present)
        _delete(admin, stale)
        return Applied(made, quotas, len(wanted - present), len(stale))
    finally:
        admin.close()


def reconcile_one(
    admin: KafkaAdminClient, principal: Principal, *, topic_prefix: str = "", writes: bool = True
) -> tuple[int, int]:
    """Make the broker's ACLs of this one user in the environment of `topic_prefix` equal to its
    principal's (without its writes when `writes` is False: a suspended partner); returns (added,
    removed). Others' ACLs, and this user's in other environments, stay as they are."""

    def here(b: Binding) -> bool:
        if b.resource == ResourceType.GROUP:
            return True
        return b.name.startswith(topic_prefix) if topic_prefix else not ENVIRONMENT_PREFIX.match(b.name)

    wanted = {b for b in bindings([principal]) if writes or b.operation != ACLOperation.WRITE}
    present = {b for b in on_broker(admin) if b.user == principal.user and here(b)}
    _create(admin, wanted - present)
    _delete(admin, present - wanted)
    return len(wanted - present), len(present - wanted)


def ensure_quota(admin: KafkaAdminClient, principal: Principal) -> bool:
    """This one user's client quotas as its principal's; True when they were set now."""
    wanted = {k: float(v) for k, v in principal.quota.configs().items()} if principal.quota else {}
    present = quotas_on_broker(admin).get(principal.user, {})
    if wanted == present:
        return False
    entries = [_quota_entry(principal.user, wanted, present)]
    response = admin_request(admin, AlterClientQuotasRequest(entries=entries, validate_only=False))
    if failed := [(e.entity[0].entity_name, e.error_message) for e in response.entries if e.error_code]:
        raise RuntimeError(f"the broker refused client quotas: {failed}")
    until_described(admin, {principal.user: wanted})
    return True


def drop_user(admin: KafkaAdminClient, user: str) -> int:
    """Take a user off the broker: its ACLs, its quotas and its login; returns the ACLs removed.

    The login is given a password nobody keeps instead of being deleted: a broker that replayed
    such a deletion at a restart has refused every user's login (docs/adr/0023-removed-logins.md)."""
    doomed = {b for b in on_broker(admin) if b.user == user}
    _delete(admin, doomed)
    if quotas_on_broker(admin).get(user):
        ensure_quota(admin, Principal(user, "removed", ()))
    described = admin.describe_user_scram_credentials([user]).get(user, {})
    if not described.get("error") and described.get("credential_infos"):
        admin.alter_user_scram_credentials([UserScramCredentialUpsertion(user, MECHANISM, secrets.token_urlsafe(32))])
    return len(doomed)


def _grant(bootstrap: str, of: list[Principal]) -> int:
    admin = admin_client(bootstrap)
    try:
        missing = bindings(of) - on_broker(admin)
        _create(admin, missing)
        return len(missing)
    finally:
        admin.close()


def _revoke(bootstrap: str, prefix: str) -> int:
    admin = admin_client(bootstrap)
    try:
        doomed = {b for b in on_broker(admin) if b.name.startswith(prefix)}
        _delete(admin, doomed)
        return len(doomed)
    finally:
        admin.close()


async def grant(bootstrap: str, *, topic_prefix: str, group_prefix: str) -> int:
    """Allow every principal on the topics and groups of an environment with these prefixes."""
    if not (ENVIRONMENT_PREFIX.fullmatch(topic_prefix) and group_prefix.startswith(topic_prefix)):
        raise ValueError(
            f"an environment's topic prefix looks like 'test-1a2b3c4d.' ({topic_prefix!r}) and its "
            f"group prefix starts with it ({group_prefix!r}), so that revoke finds both"
        )
    matrix = principals(topic_prefix=topic_prefix, group_prefix=group_prefix)
    return await asyncio.to_thread(_grant, bootstrap, matrix)


async def revoke(bootstrap: str, prefix: str) -> int:
    """Remove every ACL on a topic or group named with `prefix` (an environment's, at its end)."""
    if not ENVIRONMENT_PREFIX.fullmatch(prefix):
        raise ValueError(f"not the prefix of an environment: {prefix!r}")
    return await asyncio.to_thread(_revoke, bootstrap, prefix)


def admin_login() -> dict:
    return login(ADMIN)


@contextlib.asynccontextmanager
async def environment(bootstrap: str, *, topic_prefix: str, group_prefix: str) -> AsyncIterator[None]:
    """Topics of an environment's own and every principal's ACLs on them and its consumer
    groups, for as long as it runs; both are deleted at the end."""
    await ensure_topics(bootstrap, deployment_topics(), prefix=topic_prefix, **admin_login())
    try:
        await grant(bootstrap, topic_prefix=topic_prefix, group_prefix=group_prefix)
        await _until_in_force(bootstrap, on_broker_topic(DIRECTORY.name, topic_prefix))
        yield
    finally:
        await delete_topics(bootstrap, topic_prefix, **admin_login())
        await revoke(bootstrap, topic_prefix)


async def _until_in_force(bootstrap: str, topic: str) -> None:
    """ACLs just made reach the broker's authorizer a moment later: wait until a principal of the
    matrix (the referrals service, which writes the directory) is let in."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **login("hubnet-referrals"))
    await producer.start()
    try:
        async with asyncio.timeout(30):
            while True:
                try:
                    await producer.partitions_for(topic)
                    return
                except TopicAuthorizationFailedError:
                    await asyncio.sleep(0.5)
    finally:
        await producer.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hubnet_common.ops.local.kafka_users")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("password").add_argument("user")
    commands.add_parser("apply")
    args = parser.parse_args(argv)
    directory = users_dir()
    if directory is None:
        parser.error("HUBNET_LOCAL_KAFKA_USERS is not set")
    if args.command == "password":
        ensure_password(directory, args.user)
        print(password(args.user, directory))
        return 0
    done = apply(Settings().kafka_bootstrap, directory)
    print(
        f"kafka users: {len(done.users)} made or reset{' (' + ', '.join(done.users) + ')' if done.users else ''}; "
        f"quotas: {len(done.quotas)} set; ACLs: {done.acls_added} added, {done.acls_removed} removed"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
