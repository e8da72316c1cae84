"""SLA clocks: a referral must be acknowledged, then answered (accepted or rejected),
within the service's number of working days. Each period that passes is one breach, announced once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from hubnet_referrals.domain.working_days import add_working_days, working_days_between

Kind = Literal["acknowledge", "answer"]


@dataclass
class SlaClock:
    referral_id: str
    kind: Kind
    period_days: int
    due_at: datetime
    breaches: int = 0

    @classmethod
    def start(cls, referral_id: str, kind: Kind, period_days: int, since: datetime) -> SlaClock:
        return cls(referral_id, kind, period_days, add_working_days(since, period_days))

    def is_due(self, now: datetime) -> bool:
        return self.due_at <= now

    def breach(self) -> tuple[int, datetime]:
        """Count one breach; the next is one more SLA period later. Returns (breach, missed deadline)."""
        missed = self.due_at
        self.breaches += 1
        # `missed` is local midnight, the end of the last day of the period: count from that day.
        self.due_at = add_working_days(missed - timedelta(microseconds=1), self.period_days)
        return self.breaches, missed


def deadline(period_days: int, since: datetime) -> datetime:
    """The clock's first deadline (its `due_at` moves on with each breach; this one does not)."""
    return add_working_days(since, period_days)


def working_days_left(deadline: datetime, now: datetime) -> int:
    """The working days after today up to the deadline's last day (0: due by tonight); once it has
    passed, minus the working days since that day."""
    last_day = deadline - timedelta(microseconds=1)  # deadlines are local midnight, after their day
    if now < deadline:
        return working_days_between(now, last_day)
    return -working_days_between(last_day, now)
