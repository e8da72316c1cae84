"""Counts what follow-up figures need, in PostgreSQL: one statement over the referrals requested in
a reporting period and their history, answered as a tally per finest cell (hub, receiving partner,
service, month) and column, so what comes back grows with the cells, not with the referrals."""

from __future__ import annotations

from datetime import date

from hubnet_common.service.reporting import Period
from hubnet_referrals.adapters.connection import Connection
from hubnet_referrals.domain.follow_up import Cell, cells
from hubnet_referrals.domain.working_days import holidays

# $1, $2: the period's first moment and the first moment after it; $3: the Swedish holidays and
# de facto days off (domain/working_days.py) of every year a referral of it may have been answered in.
TALLY = """
WITH referral AS (
    SELECT r.hub_id AS hub, r.receiver_partner_id AS partner, r.service_id AS service, r.status,
           to_char(r.requested_at AT TIME ZONE 'Europe/Stockholm', 'YYYY-MM') AS month,
           (r.requested_at AT TIME ZONE 'Europe/Stockholm')::date AS requested_on,
           ((array_agg(h.at ORDER BY h.version) FILTER (WHERE h.action = 'acknowledge'))[1]
               AT TIME ZONE 'Europe/Stockholm')::date AS acknowledged_on,
           (array_agg(h.action ORDER BY h.version) FILTER (WHERE h.action IN ('accept', 'reject')))[1] AS answer,
           ((array_agg(h.at ORDER BY h.version) FILTER (WHERE h.action IN ('accept', 'reject')))[1]
               AT TIME ZONE 'Europe/Stockholm')::date AS answered_on,
           (array_agg(h.reason_code ORDER BY h.version) FILTER (WHERE h.action IN ('accept', 'reject')))[1]
               AS reject_reason,
           (array_agg(h.main_activity ORDER BY h.version DESC) FILTER (WHERE h.action = 'complete'))[1]
               AS main_activity
      FROM referrals r
      LEFT JOIN referral_history h
             ON h.referral_id = r.id AND h.action IN ('acknowledge', 'accept', 'reject', 'complete')
     WHERE r.requested_at >= $1 AND r.requested_at < $2 AND r.status <> 'entered-in-error'
     GROUP BY r.id
), timed AS (
    SELECT referral.*,
           (SELECT count(*) FROM generate_series(requested_on + 1, acknowledged_on, interval '1 day') d
             WHERE extract(isodow FROM d) < 6 AND d::date <> ALL($3::date[]))::int AS to_acknowledge,
           (SELECT count(*) FROM generate_series(acknowledged_on + 1, answered_on, interval '1 day') d
             WHERE extract(isodow FROM d) < 6 AND d::date <> ALL($3::date[]))::int AS to_answer
      FROM referral
)
SELECT hub, partner, service, month, c.name AS column, c.days, count(*)::int AS referrals
  FROM timed CROSS JOIN LATERAL (VALUES
       ('sent', NULL::int),
       (CASE WHEN acknowledged_on IS NOT NULL THEN 'acknowledged' END, NULL),
       (CASE answer WHEN 'accept' THEN 'accepted' WHEN 'reject' THEN 'rejected' END, NULL),
       (CASE WHEN answer = 'reject' THEN 'rejected.' || reject_reason END, NULL),
       (CASE WHEN status IN ('completed', 'failed', 'cancelled') THEN status END, NULL),
       (CASE WHEN status = 'completed' THEN 'outcome.' || main_activity END, NULL),
       (CASE WHEN acknowledged_on IS NOT NULL THEN 'median_days_to_acknowledge' END, to_acknowledge),
       (CASE WHEN acknowledged_on IS NOT NULL AND answered_on IS NOT NULL THEN 'median_days_to_answer' END,
        to_answer)
  ) AS c(name, days)
 WHERE c.name IS NOT NULL
 GROUP BY 1, 2, 3, 4, 5, 6
"""


async def count_cells(conn: Connection, period: Period, *, today: date) -> list[Cell]:
    """The finest cells of the referrals requested in `period` (Stockholm time), nothing
    suppressed yet; referrals entered in error are left out."""
    days_off = [day for year in range(period.first.year, today.year + 2) for day in holidays(year)]
    return cells(map(dict, await conn.fetch(TALLY, period.start, period.end, days_off)))
