"""Dead letters kept in a list, for unit tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hubnet_common.service.deadletter import DeadLetters

if TYPE_CHECKING:
    from hubnet_common.service.processing import Record


class CollectedDeadLetters(DeadLetters):
    """Keeps dead letters in a list, for unit tests."""

    def __init__(self) -> None:
        self.sent: list[tuple[Record, str, str]] = []

    async def send(self, record: Record, group: str, code: str, reason: str) -> str:
        self.sent.append((record, code, reason))
        return "dead-lettered"
