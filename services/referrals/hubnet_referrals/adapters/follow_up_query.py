"""Reads what follow-up figures need from the referrals and their history (plain SQL, one query)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import asyncpg

from hubnet_referrals.adapters.connection import Connection
from hubnet_referrals.domain.follow_up import ReferralRecord, record_from_history
from hubnet_referrals.domain.working_days import STOCKHOLM

# One row per referral and history step that matters (or one row with NULL steps if none does).
QUERY = """
SELECT r.id, r.hub_id, r.receiver_partner_id, r.service_id, r.requested_at, r.status,
       h.version, h.action, h.at, h.reason_code, h.main_activity
  FROM referrals r
  LEFT JOIN referral_history h
         ON h.referral_id = r.id AND h.action IN ('acknowledge', 'accept', 'reject', 'complete')
 WHERE ($1::timestamptz IS NULL OR r.requested_at >= $1)
   AND ($2::timestamptz IS NULL OR r.requested_at < $2)
 ORDER BY r.requested_at, r.id, h.version
"""


def _start_of(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time(0), tzinfo=STOCKHOLM)


async def load_records(
    conn: Connection, *, since: date | None = None, until: date | None = None
) -> list[ReferralRecord]:
    """Every referral requested from `since` to `until`, both inclusive, as Stockholm dates
    (None: no bound), in order of request. Referrals entered in error are included: `figures`
    leaves them out."""
    after_until = _start_of(until + timedelta(days=1)) if until is not None else None
    rows = await conn.fetch(QUERY, _start_of(since), after_until)
    referrals: dict[str, tuple[asyncpg.Record, list[asyncpg.Record]]] = {}
    for row in rows:
        _, steps = referrals.setdefault(row["id"], (row, []))
        if row["version"] is not None:
            steps.append(row)
    return [record_from_history(dict(referral), map(dict, steps)) for referral, steps in referrals.values()]
