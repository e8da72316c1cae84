"""Follow-up figures from the finest cells the database counts: suppression of small counts and
medians, coarser rows that add up only what is shown, and the CSV and table reports."""

from collections import Counter
from itertools import combinations

import pytest

from hubnet_referrals.domain.follow_up import COLUMNS, KEYS, Cell, cells, figures, to_csv, to_table


def cell(sent: int, *, hub="hjallbo", partner="brg", service="brg-job", month="2026-03", days=None, **counts) -> Cell:
    counts = {"sent": sent, **{name.replace("__", "."): n for name, n in counts.items()}}
    return Cell(hub, partner, service, month, counts, {k: Counter(v) for k, v in (days or {}).items()})


def only(rows):
    assert len(rows) == 1
    return rows[0].figures


@pytest.mark.parametrize(("count", "shown"), [(1, None), (2, None), (4, None), (5, 5), (7, 7)])
def test_counts_from_one_to_four_are_suppressed_but_zero_and_five_or_more_are_shown(count, shown):
    result = only(figures([cell(count)]))
    assert result["sent"] == shown
    assert result["acknowledged"] == 0 and result["failed"] == 0 and result["outcome.work"] == 0
    assert result["cells_suppressed"] == (1 if shown is None else 0)


def test_every_count_of_a_cell_is_suppressed_on_its_own():
    result = only(figures([cell(9, rejected=7, **{"rejected.no-capacity": 5, "rejected.not-eligible": 2})]))
    assert result["rejected"] == 7 and result["rejected.not-eligible"] is None
    assert result["cells_suppressed"] == 0  # the cell itself is shown


def test_medians_are_suppressed_under_five_referrals_and_averaged_between_the_middle_two():
    assert (
        only(figures([cell(9, days={"median_days_to_acknowledge": {1: 3, 2: 1}})]))["median_days_to_acknowledge"]
        is None
    )
    assert (
        only(figures([cell(9, days={"median_days_to_acknowledge": {1: 3, 2: 2}})]))["median_days_to_acknowledge"] == 1.0
    )
    assert only(figures([cell(9, days={"median_days_to_answer": {1: 3, 2: 3}})]))["median_days_to_answer"] == 1.5
    assert only(figures([cell(9, days={"median_days_to_answer": {0: 1, 3: 2, 10: 2}})]))["median_days_to_answer"] == 3.0


def test_a_coarser_row_adds_up_its_cells_as_shown_and_a_suppressed_one_counts_nothing():
    found = [
        cell(2, month="2026-01"),
        cell(2, partner="poseidon", service="poseidon-housing"),
        cell(6, service="brg-studies", cancelled=3),
        cell(3, hub="angered", month="2026-01"),
    ]
    by_hub = figures(found, group_by=("hub",))
    assert [
        (row.hub, row.partner, row.month, row.figures["sent"], row.figures["cells_suppressed"]) for row in by_hub
    ] == [
        ("angered", None, None, 0, 1),
        ("hjallbo", None, None, 6, 2),
    ]
    assert by_hub[1].figures["cancelled"] == 0  # 3 in a shown cell: still suppressed, so nothing
    [total] = figures(found, group_by=())
    assert (total.hub, total.figures["sent"], total.figures["cells_suppressed"]) == (None, 6, 3)


def test_a_coarser_median_is_over_the_cells_whose_median_is_shown():
    found = [
        cell(9, days={"median_days_to_acknowledge": {1: 5}}),
        cell(9, service="brg-studies", days={"median_days_to_acknowledge": {4: 5}}),
        cell(9, service="brg-coaching", days={"median_days_to_acknowledge": {30: 4}}),  # not shown: left out
    ]
    assert only(figures(found, group_by=("hub",)))["median_days_to_acknowledge"] == 2.5


def test_no_difference_of_two_answers_recovers_a_suppressed_count():
    """Every answer is a sum of cells as shown, here all multiples of ten: over any two sets of
    months and any two groupings, no difference of two answers is the suppressed 2."""
    found = [cell(10, month="2026-01"), cell(2, month="2026-02"), cell(20, month="2026-03"), cell(40, hub="angered")]
    months = ["2026-01", "2026-02", "2026-03"]
    answers = set()
    for n in range(1, 4):
        for chosen in combinations(months, n):
            of_months = [c for c in found if c.month in chosen]
            for group_by in [(), ("hub",), ("month",), ("hub", "month"), ("hub", "partner", "service")]:
                answers.add(sum(r.figures["sent"] or 0 for r in figures(of_months, group_by=group_by)))
    assert answers == {0, 10, 60, 70}  # January and February together: 10, as January alone
    assert all((a - b) % 10 == 0 for a in answers for b in answers)


def test_an_unknown_grouping_is_refused():
    with pytest.raises(ValueError, match="cannot group by week"):
        figures([cell(5)], group_by=("hub", "week"))


def test_cells_are_made_from_the_tally_and_columns_no_longer_listed_are_dropped():
    tally = [
        {
            "hub": "hjallbo",
            "partner": "brg",
            "service": "brg-job",
            "month": "2026-03",
            "column": c,
            "days": d,
            "referrals": n,
        }
        for c, d, n in [
            ("sent", None, 6),
            ("rejected.gone-code", None, 1),
            ("median_days_to_acknowledge", 1, 4),
            ("median_days_to_acknowledge", 2, 2),
        ]
    ]
    [found] = cells(tally)
    assert found.counts == {"sent": 6}
    assert found.days == {"median_days_to_acknowledge": Counter({1: 4, 2: 2})}


def test_csv_has_a_stable_header_and_shows_suppressed_cells_as_less_than_five():
    found = [cell(5, acknowledged=5, days={"median_days_to_acknowledge": {1: 5}}), cell(2, hub="angered")]
    lines = to_csv(figures(found)).splitlines()
    header = lines[0].split(",")
    assert header[:4] == list(KEYS) == ["hub", "partner", "service", "month"]
    assert header[4:] == list(COLUMNS)
    assert header[4:8] == ["sent", "acknowledged", "accepted", "rejected"]
    assert header[-3:] == ["median_days_to_acknowledge", "median_days_to_answer", "cells_suppressed"]
    assert "rejected.no-capacity" in header and "outcome.own-business" in header
    assert [h for h in header if h.startswith("outcome.")] == sorted(h for h in header if h.startswith("outcome."))
    angered = dict(zip(header, lines[1].split(","), strict=True))
    hjallbo = dict(zip(header, lines[2].split(","), strict=True))
    assert angered["hub"] == "angered" and angered["month"] == "2026-03" and angered["sent"] == "<5"
    assert angered["failed"] == "0" and angered["median_days_to_acknowledge"] == "<5"
    assert hjallbo["sent"] == "5" and hjallbo["acknowledged"] == "5" and hjallbo["median_days_to_acknowledge"] == "1"
    assert to_csv([]).splitlines() == [lines[0]]


def test_the_csv_report_is_exactly_one_line_per_group_with_unix_line_ends():
    text = to_csv(figures([cell(5, acknowledged=5)], group_by=("hub",)))
    assert "\r" not in text and text.count("\n") == 2
    assert text.splitlines()[1].startswith("hjallbo,,,,5,5,0,0,")


def test_the_text_table_is_fixed_width_and_leaves_out_detail_columns_that_are_all_zero():
    found = [cell(6, completed=6, outcome__studies=6), cell(3, hub="angered")]
    lines = to_table(figures(found)).splitlines()
    assert lines[0].split()[:5] == ["hub", "partner", "service", "month", "sent"]
    assert "outcome.studies" in lines[0] and "outcome.work" not in lines[0] and "rejected.other" not in lines[0]
    assert set(lines[1]) == {"-", " "}
    assert lines[2].split()[:5] == ["angered", "brg", "brg-job", "2026-03", "<5"]
    assert lines[3].split()[:5] == ["hjallbo", "brg", "brg-job", "2026-03", "6"]
    assert len({len(line) for line in lines[:2]}) == 1
    assert all(line == line.rstrip() for line in lines)
    by_hub = to_table(figures(found, group_by=("hub",))).splitlines()
    assert by_hub[2].split()[:5] == ["angered", "all", "all", "all", "0"]
    assert to_table([]) == "no referrals\n"
