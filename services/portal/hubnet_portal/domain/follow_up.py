"""The follow-up page's tables, made from the services' answers as they are: the referrals
service's `/report` (small cells suppressed there, coarser rows the sums of the cells as shown) and
the events service's `/figures`. Nothing is added up, filled in or worked back here: a suppressed
figure comes as None and is shown as the report shows it ("<5"), and the chart leaves it out.
Pure, no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hubnet_common.sdk.messages.vocabulary import MainActivity
from hubnet_portal.domain.words import MAIN_ACTIVITY, N_

# What each table asks `/report` for: its grouping, and the columns it shows (charted ones first).
REFERRAL_COLUMNS = (
    ("sent", N_("Sent")),
    ("accepted", N_("Accepted")),
    ("rejected", N_("Rejected")),
    ("completed", N_("Completed")),
)
OUTCOME_COLUMNS = tuple((f"outcome.{activity.value}", MAIN_ACTIVITY[activity]) for activity in MainActivity)
LEFT_OUT = ("cells_suppressed", N_("Cells left out"))
EVENT_COLUMNS = (
    ("held", N_("Held")),
    ("registrations", N_("Registrations")),
    ("attended", N_("Attended")),
    ("walk_ins", N_("Walk-ins")),
)
KEY_WORDS = {
    "hub": N_("Hub"),
    "partner": N_("Organisation"),
    "service": N_("Service"),
    "month": N_("Month"),
    "kind": N_("Kind"),
}


@dataclass(frozen=True)
class Cell:
    value: int | float | None  # None: suppressed by the service
    shown: str


@dataclass(frozen=True)
class Line:
    keys: tuple[str, ...]
    cells: tuple[Cell, ...]

    @property
    def label(self) -> str:
        return " · ".join(self.keys)


@dataclass(frozen=True)
class Table:
    id: str
    caption: str  # a gettext message id
    keys: tuple[str, ...]  # gettext message ids of the key columns
    columns: tuple[str, ...]  # gettext message ids of the figure columns
    charted: int  # the first so many columns are drawn in the chart
    lines: tuple[Line, ...]


def _cell(value: Any, suppressed: str) -> Cell:
    if value is None:
        return Cell(None, suppressed)
    return Cell(value, f"{value:g}" if isinstance(value, float) else str(value))


def _table(
    id_: str,
    caption: str,
    keys: Sequence[str],
    columns: Sequence[tuple[str, str]],
    charted: int,
    rows: Iterable[Mapping[str, Any]],
    suppressed: str,
) -> Table:
    return Table(
        id=id_,
        caption=caption,
        keys=tuple(KEY_WORDS[k] for k in keys),
        columns=tuple(words for _, words in columns),
        charted=charted,
        lines=tuple(
            Line(tuple(str(row.get(k) or "") for k in keys), tuple(_cell(row.get(c), suppressed) for c, _ in columns))
            for row in rows
        ),
    )


def referral_table(id_: str, caption: str, report: Mapping[str, Any], *, outcomes: bool = False) -> Table:
    """A table of one `/report` answer, its keys as the report grouped them."""
    suppressed = f"<{report['suppressed_below']}"
    columns = OUTCOME_COLUMNS if outcomes else REFERRAL_COLUMNS
    return _table(id_, caption, report["group_by"], (*columns, LEFT_OUT), len(columns), report["rows"], suppressed)


def event_table(id_: str, caption: str, figures: Sequence[Mapping[str, Any]]) -> Table:
    """The `/figures` rows as they are: one per hub, month and kind."""
    return _table(id_, caption, ("hub", "month", "kind"), EVENT_COLUMNS, len(EVENT_COLUMNS), figures, "")
