"""The Kafka users of the local broker (`make up`) and their passwords: one file per user in
`.local/kafka/users/` (mode 0600), a random password made once and kept.

Only local tools read them — the demo, the tests, fault runs, benchmarks, `LocalServices` for the
services it starts and the `hubnet` command line in a shell that sourced `.local/env` (which sets
HUBNET_LOCAL_KAFKA_USERS). A deployment has no such directory: each process gets its own login in
the HUBNET_KAFKA_* settings (a mounted secret), and `logged_in` then leaves the settings as they are.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, TypeVar, cast

from pydantic import SecretStr

from hubnet_common.service.kafka_security import client_security
from hubnet_common.service.settings import Settings

USERS_DIR_VARIABLE = "HUBNET_LOCAL_KAFKA_USERS"
PROTOCOL, MECHANISM = "SASL_PLAINTEXT", "SCRAM-SHA-512"  # the local broker's only client listener
ADMIN = "hubnet-admin"  # the local broker's super user: topics, users and ACLs
S = TypeVar("S", bound=Settings)


def users_dir() -> Path | None:
    value = os.environ.get(USERS_DIR_VARIABLE)
    return Path(value) if value else None


def ensure_password(directory: Path, user: str) -> bool:
    """Make `user`'s password file unless it is there; True when it was made now."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / user
    if path.exists():
        return False
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(secrets.token_urlsafe(24))
    return True


def password(user: str, directory: Path | None = None) -> str:
    directory = directory or users_dir()
    if directory is None:
        raise LookupError(f"no local Kafka users: {USERS_DIR_VARIABLE} is not set (source .local/env)")
    try:
        return (directory / user).read_text().strip()
    except FileNotFoundError:
        raise LookupError(f"no local Kafka user {user} in {directory} (make up creates them)") from None


def login_env(user: str) -> dict[str, str]:
    """The HUBNET_KAFKA_* variables of a process that logs in to the local broker as `user`; none on
    a machine without local Kafka users (the process has its own)."""
    if users_dir() is None:
        return {}
    return {
        "HUBNET_KAFKA_SECURITY_PROTOCOL": PROTOCOL,
        "HUBNET_KAFKA_SASL_MECHANISM": MECHANISM,
        "HUBNET_KAFKA_SASL_USERNAME": user,
        "HUBNET_KAFKA_SASL_PASSWORD": password(user),
    }


def logged_in(user: str, settings: S | None = None) -> S:
    """`settings` (default: from the environment) logged in as `user` when this is a machine with
    local Kafka users; elsewhere the settings' own login, untouched."""
    chosen = settings if settings is not None else cast(S, Settings())
    if users_dir() is None:
        return chosen
    return chosen.model_copy(
        update={
            "kafka_security_protocol": PROTOCOL,
            "kafka_sasl_mechanism": MECHANISM,
            "kafka_sasl_username": user,
            "kafka_sasl_password": SecretStr(password(user)),
        }
    )


def login(user: str) -> dict[str, Any]:
    """The Kafka client arguments (aiokafka's, kafka-python's) of `user`, as `logged_in` finds them."""
    return client_security(logged_in(user))
