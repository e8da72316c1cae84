"""Sessions and logins under way, in this process's memory: a restart logs everyone out, which
for one partner's handful of staff is a price worth not storing tokens anywhere."""

from __future__ import annotations

import time

from hubnet_portal.domain.session import PendingLogin, Session

MAX_PENDING = 10_000  # logins begun and never finished are forgotten beyond this


class InMemorySessions:
    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}
        self._pending: dict[str, PendingLogin] = {}

    def get(self, session_id: str | None) -> Session | None:
        return self._sessions.get(session_id) if session_id else None

    def put(self, session: Session) -> None:
        self._forget_expired()
        self._sessions[session.id] = session

    def drop(self, session_id: str) -> None:
        self._sessions.pop(session_id, None)

    def begin(self, pending: PendingLogin) -> None:
        if len(self._pending) >= MAX_PENDING:
            self._pending = {s: p for s, p in self._pending.items() if not p.expired(time.time())}
            while len(self._pending) >= MAX_PENDING:
                self._pending.pop(next(iter(self._pending)))
        self._pending[pending.state] = pending

    def finish(self, state: str) -> PendingLogin | None:
        return self._pending.pop(state, None)

    def _forget_expired(self) -> None:
        now = time.time()
        for session_id in [s for s, session in self._sessions.items() if session.expired(now)]:
            del self._sessions[session_id]
