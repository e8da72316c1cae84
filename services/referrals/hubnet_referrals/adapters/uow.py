"""The referrals service's unit of work: its repositories on one transaction, plus the outbox."""

from __future__ import annotations

import asyncpg
from hubnet_common.uow import PgUnitOfWork

from hubnet_referrals.adapters.repository import PgDirectory, PgReferrals

SERVICE = "referrals"


class ReferralsUnitOfWork(PgUnitOfWork):
    referrals: PgReferrals
    directory: PgDirectory

    def __init__(self, pool: asyncpg.Pool) -> None:
        super().__init__(SERVICE, pool)

    async def __aenter__(self) -> ReferralsUnitOfWork:
        await super().__aenter__()
        self.referrals = PgReferrals(self.conn)
        self.directory = PgDirectory(self.conn)
        return self
