"""Follow-up figures ("uppföljning"): what referrals led to, per hub, receiving partner,
service and month, with small cells suppressed so that no difference of two answers undoes it
(docs/adr/0009-fixed-reporting-periods.md). Pure domain, no I/O.

Each referral counts in the month of its `requested_at` in Stockholm time ("YYYY-MM"); everything
that later happened to it is counted in that month too (a cohort, not a calendar of events). A
referral whose current status is `entered-in-error` is left out of every figure. Figures are asked
for a period of whole months (hubnet_common.service.reporting.period).

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
    cells_suppressed             finest cells of the row whose `sent` is suppressed (left out)

The answer (accept or reject) is counted as given, even if a rejected referral was later reopened;
completed, failed and cancelled say where each referral stands now, so a referral reopened and still
open counts in none of them.

The database counts the finest cells (`Cell`: one hub, partner, service and month). Suppression is
applied to them alone: a count from 1 to `SUPPRESS_BELOW - 1` is None (shown "<5"), 0 stays 0; a
median is None when computed from fewer than `SUPPRESS_BELOW` referrals. A coarser row (`group_by`
a subset of `KEYS`; a key not grouped by is None in the `Row`) adds up its finest cells as shown: a
suppressed count counts 0, and its median is taken over the cells whose median is shown. So no
coarser figure, and no difference of two answers, holds a suppressed count.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from hubnet_common.sdk.messages.vocabulary import MainActivity, ReasonCode
from hubnet_common.service.reporting import SUPPRESS_BELOW, shown, total

SUPPRESSED = f"<{SUPPRESS_BELOW}"
KEYS = ("hub", "partner", "service", "month")
REASON_COLUMNS = tuple(f"rejected.{code}" for code in sorted(c.value for c in ReasonCode))
OUTCOME_COLUMNS = tuple(f"outcome.{activity}" for activity in sorted(a.value for a in MainActivity))
COUNT_COLUMNS = (
    "sent",
    "acknowledged",
    "accepted",
    "rejected",
    *REASON_COLUMNS,
    "completed",
    "failed",
    "cancelled",
    *OUTCOME_COLUMNS,
)
MEDIAN_COLUMNS = ("median_days_to_acknowledge", "median_days_to_answer")
CELLS_SUPPRESSED = "cells_suppressed"
COLUMNS = (*COUNT_COLUMNS, *MEDIAN_COLUMNS, CELLS_SUPPRESSED)
Figure = int | float | None


@dataclass
class Cell:
    """A finest cell as the database counts it, nothing suppressed: referrals per count column,
    and per median column how many referrals took how many working days."""

    hub: str
    partner: str
    service: str
    month: str
    counts: dict[str, int] = field(default_factory=dict)
    days: dict[str, Counter[int]] = field(default_factory=dict)

    @property
    def keys(self) -> tuple[str, str, str, str]:
        return self.hub, self.partner, self.service, self.month


def cells(tally: Iterable[Mapping]) -> list[Cell]:
    """Cells from the database's tally: rows of the four keys, a `column` and `referrals`, with
    `days` for a median column. Columns not of `COLUMNS` (a code no longer listed) are dropped."""
    found: dict[tuple[str, str, str, str], Cell] = {}
    for row in tally:
        keys = (row["hub"], row["partner"], row["service"], row["month"])
        cell = found.setdefault(keys, Cell(*keys))
        column, referrals = row["column"], row["referrals"]
        if column in MEDIAN_COLUMNS:
            cell.days.setdefault(column, Counter())[row["days"]] += referrals
        elif column in COUNT_COLUMNS:
            cell.counts[column] = cell.counts.get(column, 0) + referrals
    return list(found.values())


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


def _median(days: Counter[int]) -> float | None:
    """The median of the days counted, None from fewer than SUPPRESS_BELOW referrals."""
    count = sum(days.values())
    if count < SUPPRESS_BELOW:
        return None
    ordered = sorted(days.items())

    def nth(n: int) -> int:  # the n-th smallest, from 0
        for value, times in ordered:
            if n < times:
                return value
            n -= times
        raise IndexError(n)

    return (nth((count - 1) // 2) + nth(count // 2)) / 2


def _shown_counts(cell: Cell) -> dict[str, int | None]:
    return {c: shown(cell.counts.get(c, 0)) for c in COUNT_COLUMNS}


def _shown_days(cell: Cell) -> dict[str, Counter[int]]:
    """The days of each median column that may be shown (from SUPPRESS_BELOW referrals up)."""
    return {c: days for c, days in cell.days.items() if sum(days.values()) >= SUPPRESS_BELOW}


def _finest(cell: Cell) -> dict[str, Figure]:
    counts = _shown_counts(cell)
    days = _shown_days(cell)
    return {
        **counts,
        **{c: _median(days.get(c, Counter())) for c in MEDIAN_COLUMNS},
        CELLS_SUPPRESSED: int(counts["sent"] is None),
    }


def _coarser(members: list[Cell]) -> dict[str, Figure]:
    counts = [_shown_counts(cell) for cell in members]
    days = [_shown_days(cell) for cell in members]
    return {
        **{c: total([shown_ones[c] for shown_ones in counts]) for c in COUNT_COLUMNS},
        **{c: _median(sum((d.get(c, Counter()) for d in days), Counter())) for c in MEDIAN_COLUMNS},
        CELLS_SUPPRESSED: sum(int(shown_ones["sent"] is None) for shown_ones in counts),
    }


def figures(found: Iterable[Cell], group_by: Sequence[str] = KEYS) -> list[Row]:
    """Follow-up figures per group, suppressed, sorted by keys; groups without any referral do
    not appear."""
    unknown = set(group_by) - set(KEYS)
    if unknown:
        raise ValueError(f"cannot group by {', '.join(sorted(unknown))}; choose from {', '.join(KEYS)}")
    finest = set(group_by) == set(KEYS)
    groups: dict[Keys, list[Cell]] = defaultdict(list)
    for cell in found:
        keys = tuple(value if key in group_by else None for key, value in zip(KEYS, cell.keys, strict=True))
        groups[keys].append(cell)  # type: ignore[index] # four keys, as KEYS
    return [
        Row(*keys, figures=_finest(groups[keys][0]) if finest else _coarser(groups[keys]))
        for keys in sorted(groups, key=lambda ks: tuple(k or "" for k in ks))
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
