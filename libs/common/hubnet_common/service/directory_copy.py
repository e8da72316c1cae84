"""A consuming service's copy of the directory, kept from the log-compacted directory.v1 topic.

Used by the events and notifications services: `DIRECTORY_COPY_MIGRATIONS` adds the tables,
`directory_copy_handlers()` the route, and the service's unit of work exposes `directory`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import asyncpg

from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.identity import partner_source
from hubnet_common.sdk.messages.directory import HubUpserted, PartnerUpserted, ServiceUpserted
from hubnet_common.sdk.signing import PublicSigningKey
from hubnet_common.service.db import ReadMemo
from hubnet_common.service.trust import keep_partner_standing, keep_signing_keys

DIRECTORY_COPY_MIGRATIONS = Path(__file__).parent / "directory_copy_migrations"


@dataclass(frozen=True)
class Known:
    """A partner, hub or service as this service knows it."""

    id: str
    name: str
    active: bool


class PgDirectoryCopy:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self._read = ReadMemo()

    async def hub(self, hub_id: str) -> Known | None:
        return await self._known("known_hubs", hub_id)

    async def partner(self, partner_id: str) -> Known | None:
        return await self._known("known_partners", partner_id)

    async def service(self, service_id: str) -> Known | None:
        return await self._known("known_services", service_id)

    async def encryption_key(self, partner_id: str) -> str | None:
        """The partner's X25519 public key (base64) as its directory entry last gave it."""
        return await self.conn.fetchval("SELECT encryption_public_key FROM known_partners WHERE id = $1", partner_id)

    async def _known(self, table: str, id_: str) -> Known | None:
        async def read() -> Known | None:
            row = await self.conn.fetchrow(f"SELECT id, name, active FROM {table} WHERE id = $1", id_)
            return Known(**row) if row else None

        return await self._read.get((table, id_), read)

    async def keep_partner(self, fact: PartnerUpserted) -> None:
        self._read.forget()
        await self.conn.execute(
            "INSERT INTO known_partners (id, name, active, encryption_public_key) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (id) DO UPDATE SET name = $2, active = $3, encryption_public_key = $4",
            fact.partner_id,
            fact.name,
            fact.active,
            fact.encryption_public_key,
        )
        await keep_signing_keys(self.conn, partner_source(fact.partner_id), signing_keys_of(fact))
        await keep_partner_standing(self.conn, fact.partner_id, fact.standing)

    async def keep_hub(self, fact: HubUpserted) -> None:
        self._read.forget()
        await self.conn.execute(
            "INSERT INTO known_hubs (id, name, active) VALUES ($1, $2, $3)"
            " ON CONFLICT (id) DO UPDATE SET name = $2, active = $3",
            fact.hub_id,
            fact.name,
            fact.active,
        )

    async def keep_service(self, fact: ServiceUpserted) -> None:
        self._read.forget()
        await self.conn.execute(
            "INSERT INTO known_services (id, partner_id, name, hub_ids, active) VALUES ($1, $2, $3, $4, $5)"
            " ON CONFLICT (id) DO UPDATE SET partner_id = $2, name = $3, hub_ids = $4, active = $5",
            fact.service_id,
            fact.partner_id,
            fact.name,
            fact.hub_ids,
            fact.active,
        )


def signing_keys_of(fact: PartnerUpserted) -> list[PublicSigningKey]:
    owner = partner_source(fact.partner_id)
    return [PublicSigningKey(owner, k.public_key, k.valid_from, k.valid_until) for k in fact.signing_keys]


async def keep_directory_entry(fact: PartnerUpserted | HubUpserted | ServiceUpserted, envelope: Envelope, uow) -> None:
    """Handler for every directory.v1 fact: store the latest entry (idempotent by nature)."""
    if isinstance(fact, PartnerUpserted):
        await uow.directory.keep_partner(fact)
    elif isinstance(fact, HubUpserted):
        await uow.directory.keep_hub(fact)
    else:
        await uow.directory.keep_service(fact)


def directory_copy_handlers() -> dict:
    return {
        PartnerUpserted: keep_directory_entry,
        HubUpserted: keep_directory_entry,
        ServiceUpserted: keep_directory_entry,
    }
