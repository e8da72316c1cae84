"""An in-memory unit of work for unit tests."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from functools import cache

from hubnet_common.ops.partners import deployment_partners
from hubnet_common.sdk.envelope import Envelope
from hubnet_common.service.uow import Outgoing, UnitOfWork


@cache
def _seeded() -> tuple[str, ...]:
    return deployment_partners()


class FakeUnitOfWork(UnitOfWork):
    """In-memory unit of work for unit tests: `committed` holds what the outbox would publish.
    Like a transaction, leaving it without `commit` (or a savepoint by an exception) puts its
    repositories back as they were."""

    LEDGER = ("service", "pending", "committed", "inbox", "_claimed", "_began", "standings", "partner_standing")
    # the rest: its repositories

    def __init__(self, service: str) -> None:
        super().__init__(service)
        self.committed: list[Outgoing] = []
        self.inbox: set[tuple[str, str]] = set()
        self._claimed: set[tuple[str, str]] = set()
        self._began: dict | None = None
        # What the directory says of each partner's standing: the deployment's partners are active.
        self.partner_standing: dict[str, str] = dict.fromkeys(_seeded(), "active")

    def _repositories(self) -> dict:
        return {name: value for name, value in vars(self).items() if name not in self.LEDGER}

    def _restore(self, state: dict) -> None:
        for name, saved in state.items():
            current = getattr(self, name)
            if hasattr(current, "__dict__") and type(current) is type(saved):  # in place: a test may hold it
                vars(current).clear()
                vars(current).update(vars(saved))
            else:
                setattr(self, name, saved)

    async def __aenter__(self) -> FakeUnitOfWork:
        self.pending, self._claimed = [], set()
        self._began = copy.deepcopy(self._repositories())
        return self

    async def __aexit__(self, *exc_info) -> None:
        if self._began is not None:
            self._restore(self._began)
        self.pending, self._claimed, self._began = [], set(), None

    async def first_delivery(self, consumer_group: str, envelope: Envelope) -> bool:
        key = (consumer_group, envelope.id)
        if key in self.inbox or key in self._claimed:
            return False
        self._claimed.add(key)
        return True

    async def learn_standings(self, partner_ids: Iterable[str]) -> None:
        self.standings = {p: self.partner_standing[p] for p in partner_ids if p in self.partner_standing}

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        pending, claimed, state = list(self.pending), set(self._claimed), copy.deepcopy(self._repositories())
        try:
            yield
        except BaseException:
            self.pending, self._claimed = pending, claimed
            self._restore(state)
            raise

    async def commit(self) -> None:
        self.committed += self.pending
        self.inbox |= self._claimed
        self.pending, self._claimed, self._began = [], set(), None
