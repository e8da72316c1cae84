"""Follow-up figures ("uppföljning"): what referrals led to, per hub, receiving partner,
service and month, with small cells suppressed. Pure domain, no I/O.

Each referral counts in the month of its `requested_at` in Stockholm time ("YYYY-MM"); everything
that later happened to it is counted in that month too (a cohort, not a calendar of events). A
referral whose current status is `entered-in-error` is left out of every figure.

Figure columns, always all of them and always in this order (`COLUMNS`):

    sent                         referrals requested
    acknowledged                 ... acknowledged by the receiver (`received`)
    accepted                     ... answered with accept
    rejected                     ... answered with reject
    rejected.<reason-code>       ... rejected with that reason code, one column per code of the
                                 closed list (`ReasonCode`), sorted by code
    completed                    ... whose current status is completed
    failed                       ... whose current status is failed
    cancelled                    ... whose current status is cancelled
    outcome.<main-activity>      completed referrals by main activity after the intervention, one
                                 column per value of `MainActivity`, sorted; a referral reopened and
                                 completed again counts once, with its latest outcome
    median_days_to_acknowledge   median working days (Swedish) from request to acknowledgement
    median_days_to_answer        median working days from acknowledgement to accept or reject

The answer (accept or reject) is counted as given, even if a rejected referral was later reopened;
completed, failed and cancelled say where each referral stands now, so a referral reopened and still
open counts in none of them.

Suppression: a count from 1 to `SUPPRESS_BELOW - 1` is None (shown "<5"); 0 stays 0. A median is None
when computed from fewer than `SUPPRESS_BELOW` referrals (also when there are none).

Key columns are `KEYS` = hub, partner (the receiving partner), service, month; `group_by` picks a
subset, and a key not grouped by is None in the `Row` (all of them summed together).
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from hubnet_common.sdk.messages.vocabulary import MainActivity, ReasonCode, Status
from hubnet_referrals.domain.working_days import STOCKHOLM, working_days_between

SUPPRESS_BELOW = 5
SUPPRESSED = "<5"
KEYS = ("hub", "partner", "service", "month")
REASON_COLUMNS = tuple(f"rejected.{code}" for code in sorted(c.value for c in ReasonCode))
OUTCOME_COLUMNS = tuple(f"outcome.{activity}" for activity in sorted(a.value for a in MainActivity))
MEDIAN_COLUMNS = ("median_days_to_acknowledge", "median_days_to_answer")
COLUMNS = (
    "sent",
    "acknowledged",
    "accepted",
    "rejected",
    *REASON_COLUMNS,
    "completed",
    "failed",
    "cancelled",
    *OUTCOME_COLUMNS,
    *MEDIAN_COLUMNS,
)
Figure = int | float | None
Answer = Literal["accept", "reject"]


@dataclass(frozen=True)
class ReferralRecord:
    """What follow-up needs to know about one referral, derived from its history."""

    referral_id: str
    hub_id: str
    receiver_partner_id: str
    service_id: str
    requested_at: datetime
    status: Status  # where it stands now
    acknowledged_at: datetime | None = None
    answered_at: datetime | None = None
    answer: Answer | None = None
    reject_reason: str | None = None  # a ReasonCode value
    main_activity: str | None = None  # of the latest completion (a MainActivity value)

    @property
    def month(self) -> str:
        return self.requested_at.astimezone(STOCKHOLM).strftime("%Y-%m")


def record_from_history(referral: Mapping, history: Iterable[Mapping]) -> ReferralRecord:
    """A record from a `referrals` row (id, hub_id, receiver_partner_id, service_id, requested_at,
    status) and its `referral_history` rows (version, action, at, reason_code, main_activity)."""
    acknowledged_at = answered_at = answer = reject_reason = main_activity = None
    for step in sorted(history, key=lambda h: h["version"]):
        action = step["action"]
        if action == "acknowledge" and acknowledged_at is None:
            acknowledged_at = step["at"]
        elif action in ("accept", "reject") and answer is None:
            answer, answered_at = action, step["at"]
            reject_reason = step["reason_code"] if action == "reject" else None
        elif action == "complete":
            main_activity = step["main_activity"]  # the latest completion wins
    return ReferralRecord(
        referral_id=referral["id"],
        hub_id=referral["hub_id"],
        receiver_partner_id=referral["receiver_partner_id"],
        service_id=referral["service_id"],
        requested_at=referral["requested_at"],
        status=Status(referral["status"]),
        acknowledged_at=acknowledged_at,
        answered_at=answered_at,
        answer=answer,
        reject_reason=reject_reason,
        main_activity=main_activity,
    )


@dataclass(frozen=True)
class Row:
    """One cell group: its keys (None = summed over that key) and figures by column name
    (None = suppressed)."""

    hub: str | None
    partner: str | None
    service: str | None
    month: str | None
    figures: dict[str, Figure]

    def key(self, name: str) -> str | None:
        return getattr(self, name)


Keys = tuple[str | None, str | None, str | None, str | None]  # a Row's, in the order of KEYS


def _keys_of(record: ReferralRecord, group_by: Sequence[str]) -> Keys:
    def kept(key: str, value: str | None) -> str | None:
        return value if key in group_by else None

    return (
        kept("hub", record.hub_id),
        kept("partner", record.receiver_partner_id),
        kept("service", record.service_id),
        kept("month", record.month),
    )


def _count(n: int) -> int | None:
    return None if 0 < n < SUPPRESS_BELOW else n


def _median(days: list[int]) -> float | None:
    return float(statistics.median(days)) if len(days) >= SUPPRESS_BELOW else None


def _figures(records: list[ReferralRecord]) -> dict[str, Figure]:
    counts = dict.fromkeys(COLUMNS[: -len(MEDIAN_COLUMNS)], 0)
    to_acknowledge: list[int] = []
    to_answer: list[int] = []
    for r in records:
        counts["sent"] += 1
        if r.acknowledged_at is not None:
            counts["acknowledged"] += 1
            to_acknowledge.append(working_days_between(r.requested_at, r.acknowledged_at))
            if r.answered_at is not None:
                to_answer.append(working_days_between(r.acknowledged_at, r.answered_at))
        if r.answer == "accept":
            counts["accepted"] += 1
        elif r.answer == "reject":
            counts["rejected"] += 1
            if f"rejected.{r.reject_reason}" in counts:
                counts[f"rejected.{r.reject_reason}"] += 1
        if r.status in (Status.COMPLETED, Status.FAILED, Status.CANCELLED):
            counts[r.status.value] += 1
        if r.status == Status.COMPLETED and f"outcome.{r.main_activity}" in counts:
            counts[f"outcome.{r.main_activity}"] += 1
    figures: dict[str, Figure] = {name: _count(n) for name, n in counts.items()}
    figures["median_days_to_acknowledge"] = _median(to_acknowledge)
    figures["median_days_to_answer"] = _median(to_answer)
    return figures


def figures(records: Iterable[ReferralRecord], group_by: Sequence[str] = KEYS) -> list[Row]:
    """Follow-up figures per group, suppressed, sorted by keys. Referrals entered in error are left
    out; groups without any referral do not appear."""
    unknown = set(group_by) - set(KEYS)
    if unknown:
        raise ValueError(f"cannot group by {', '.join(sorted(unknown))}; choose from {', '.join(KEYS)}")
    groups: dict[Keys, list[ReferralRecord]] = defaultdict(list)
    for record in records:
        if record.status != Status.ENTERED_IN_ERROR:
            groups[_keys_of(record, group_by)].append(record)
    return [
        Row(*keys, figures=_figures(groups[keys])) for keys in sorted(groups, key=lambda ks: tuple(k or "" for k in ks))
    ]


def _shown(value: Figure) -> str:
    if value is None:
        return SUPPRESSED
    return f"{value:g}" if isinstance(value, float) else str(value)


def to_csv(rows: Iterable[Row]) -> str:
    """CSV with a fixed header: the four keys (empty when summed over) and every column of
    `COLUMNS`; suppressed figures are "<5"."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*KEYS, *COLUMNS])
    for row in rows:
        writer.writerow([*(row.key(k) or "" for k in KEYS), *(_shown(row.figures[c]) for c in COLUMNS)])
    return out.getvalue()


def to_table(rows: Iterable[Row]) -> str:
    """A fixed-width text table for people: keys not grouped by read "all"; suppressed figures
    read "<5"; rejected.* and outcome.* columns that are 0 in every row are left out."""
    rows = list(rows)
    if not rows:
        return "no referrals\n"
    details = set(REASON_COLUMNS) | set(OUTCOME_COLUMNS)
    columns = [c for c in COLUMNS if c not in details or any(r.figures[c] != 0 for r in rows)]
    header = [*KEYS, *columns]
    body = [[*(r.key(k) or "all" for k in KEYS), *(_shown(r.figures[c]) for c in columns)] for r in rows]
    widths = [max(len(line[i]) for line in (header, *body)) for i in range(len(header))]
    keys = len(KEYS)

    def line(cells: list[str]) -> str:
        return "  ".join(
            cell.ljust(w) if i < keys else cell.rjust(w) for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(cells) for cells in body)]) + "\n"
