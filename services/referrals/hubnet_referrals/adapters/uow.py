"""The referrals service's unit of work: its repositories on one transaction, plus the outbox."""

from __future__ import annotations

import asyncpg

from hubnet_common.service.uow import PgUnitOfWork
from hubnet_referrals.adapters.audit import PgAudit
from hubnet_referrals.adapters.data_keys import PgDataKeys
from hubnet_referrals.adapters.repository import PgConsents, PgDirectory, PgReferrals, PgSlaClocks

SERVICE = "referrals"


class ReferralsUnitOfWork(PgUnitOfWork):
    referrals: PgReferrals
    consents: PgConsents
    sla: PgSlaClocks
    directory: PgDirectory
    audit: PgAudit
    data_keys: PgDataKeys

    def __init__(self, pool: asyncpg.Pool) -> None:
        super().__init__(SERVICE, pool)

    async def __aenter__(self) -> ReferralsUnitOfWork:  # typed as this class, for handlers/ports.py
        await super().__aenter__()
        return self

    def open_repositories(self) -> None:
        self.referrals = PgReferrals(self.conn)
        self.consents = PgConsents(self.conn)
        self.sla = PgSlaClocks(self.conn)
        self.directory = PgDirectory(self.conn)
        self.audit = PgAudit(self.conn)
        self.data_keys = PgDataKeys(self.conn)
