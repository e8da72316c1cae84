"""Follow-up figures: counts, outcomes, medians in working days, small-cell suppression."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hubnet_common.sdk.messages.vocabulary import Status
from hubnet_referrals.domain.follow_up import (
    COLUMNS,
    KEYS,
    SUPPRESS_BELOW,
    ReferralRecord,
    figures,
    record_from_history,
    to_csv,
    to_table,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
FRIDAY = datetime(2026, 3, 6, 10, 0, tzinfo=STOCKHOLM)  # an ordinary week, no holidays nearby


def record(
    n: int = 0, *, hub="hjallbo", partner="brg", service="brg-job", at=FRIDAY, status=Status.REQUESTED, **more
) -> ReferralRecord:
    return ReferralRecord(f"r{n}", hub, partner, service, at, status, **more)


def many(count: int, **kwargs) -> list[ReferralRecord]:
    return [record(n, **kwargs) for n in range(count)]


def history(*steps: tuple, start: datetime = FRIDAY) -> list[dict]:
    """(action, days after start, reason code or main activity) -> history rows, version from 1."""
    rows = []
    for version, (action, days, *detail) in enumerate((("request", 0), *steps), start=1):
        rows.append(
            {
                "version": version,
                "action": action,
                "at": start + timedelta(days=days),
                "reason_code": detail[0] if action in ("reject", "fail", "cancel") and detail else None,
                "main_activity": detail[0] if action == "complete" else None,
            }
        )
    return rows


def referral_row(n: int, status: str, **more) -> dict:
    return {
        "id": f"r{n}",
        "hub_id": "hjallbo",
        "receiver_partner_id": "brg",
        "service_id": "brg-job",
        "requested_at": FRIDAY,
        "status": status,
        **more,
    }


def only(rows):
    assert len(rows) == 1
    return rows[0].figures


@pytest.mark.parametrize(("count", "shown"), [(1, None), (2, None), (4, None), (5, 5), (7, 7)])
def test_counts_from_one_to_four_are_suppressed_but_zero_and_five_or_more_are_shown(count, shown):
    result = only(figures(many(count)))
    assert SUPPRESS_BELOW == 5
    assert result["sent"] == shown
    assert result["acknowledged"] == 0 and result["failed"] == 0 and result["outcome.work"] == 0


def test_referrals_entered_in_error_are_left_out_of_every_figure():
    records = [
        *many(5, status=Status.CANCELLED),
        *(
            record(
                10 + n,
                status=Status.ENTERED_IN_ERROR,
                acknowledged_at=FRIDAY,
                answer="reject",
                answered_at=FRIDAY,
                reject_reason="no-capacity",
            )
            for n in range(5)
        ),
        *many(6, hub="angered", status=Status.ENTERED_IN_ERROR),
    ]
    rows = figures(records)
    assert [row.hub for row in rows] == ["hjallbo"]
    assert rows[0].figures["sent"] == 5 and rows[0].figures["cancelled"] == 5
    assert rows[0].figures["acknowledged"] == 0 and rows[0].figures["rejected"] == 0


def test_a_referral_reopened_and_completed_again_counts_once_with_its_latest_outcome():
    twice = history(
        ("acknowledge", 3),
        ("accept", 4),
        ("start", 5),
        ("complete", 10, "job-seeking"),
        ("reopen", 12),
        ("complete", 20, "work"),
    )
    still_open = history(("acknowledge", 3), ("accept", 4), ("start", 5), ("complete", 10, "studies"), ("reopen", 12))
    records = [
        *(record_from_history(referral_row(n, "completed"), reversed(twice)) for n in range(5)),
        *(record_from_history(referral_row(10 + n, "in-progress"), still_open) for n in range(5)),
    ]
    assert records[0].main_activity == "work" and records[0].answer == "accept"
    result = only(figures(records))
    assert result["sent"] == 10 and result["accepted"] == 10
    assert result["completed"] == 5 and result["outcome.work"] == 5
    assert result["outcome.job-seeking"] == 0 and result["outcome.studies"] == 0


def test_rejections_are_counted_in_total_and_per_reason_code():
    records = [
        record_from_history(referral_row(n, "rejected"), history(("acknowledge", 0), ("reject", 3, code)))
        for n, code in enumerate(["no-capacity"] * 5 + ["not-eligible"] * 2)
    ]
    result = only(figures(records))
    assert result["rejected"] == 7 and result["accepted"] == 0
    assert result["rejected.no-capacity"] == 5 and result["rejected.not-eligible"] is None
    assert result["rejected.other"] == 0


def test_medians_are_in_working_days_and_suppressed_under_five():
    monday, tuesday = FRIDAY + timedelta(days=3), FRIDAY + timedelta(days=4)
    thursday = FRIDAY + timedelta(days=6)
    # Friday -> Monday is one working day; Friday -> Tuesday two; Monday -> Thursday three.
    acked = [record(n, acknowledged_at=monday, answered_at=thursday, answer="accept") for n in range(3)]
    acked += [record(10 + n, acknowledged_at=tuesday) for n in range(2)]
    result = only(figures(acked))
    assert result["median_days_to_acknowledge"] == 1.0
    assert result["median_days_to_answer"] is None  # only three answered
    result = only(figures([*acked, record(20, acknowledged_at=tuesday)]))
    assert result["median_days_to_acknowledge"] == 1.5
    assert only(figures(acked[:4]))["median_days_to_acknowledge"] is None
    answered = [record(n, acknowledged_at=monday, answered_at=thursday, answer="reject") for n in range(5)]
    assert only(figures(answered))["median_days_to_answer"] == 3.0


def test_grouping_by_hub_sums_over_partners_services_and_months():
    january = datetime(2026, 1, 15, 9, tzinfo=STOCKHOLM)
    records = [
        *many(2, at=january),
        *many(2, partner="poseidon", service="poseidon-housing"),
        *many(2, service="brg-studies"),
        *many(3, hub="angered", at=january),
    ]
    detailed = figures(records)
    assert len(detailed) == 4 and all(row.figures["sent"] is None for row in detailed)
    by_hub = figures(records, group_by=("hub",))
    assert [(row.hub, row.partner, row.service, row.month, row.figures["sent"]) for row in by_hub] == [
        ("angered", None, None, None, None),
        ("hjallbo", None, None, None, 6),
    ]
    total = figures(records, group_by=())
    assert [(row.hub, row.figures["sent"]) for row in total] == [(None, 9)]
    by_month = figures(records, group_by=("month", "hub"))
    assert [(row.hub, row.month, row.figures["sent"]) for row in by_month] == [
        ("angered", "2026-01", None),
        ("hjallbo", "2026-01", None),
        ("hjallbo", "2026-03", None),
    ]


def test_an_unknown_grouping_is_refused():
    with pytest.raises(ValueError, match="cannot group by week"):
        figures(many(5), group_by=("hub", "week"))


def test_the_month_is_the_month_of_the_request_in_stockholm_time():
    late = datetime(2026, 1, 31, 23, 30, tzinfo=UTC)  # 00:30 on 1 February in Stockholm
    rows = figures([*many(5, at=late), record(9, at=late - timedelta(hours=1))])
    assert [(row.month, row.figures["sent"]) for row in rows] == [("2026-01", None), ("2026-02", 5)]
    summer = datetime(2026, 6, 30, 22, 30, tzinfo=UTC)  # 00:30 on 1 July, summer time
    assert record(at=summer).month == "2026-07"


def test_csv_has_a_stable_header_and_shows_suppressed_cells_as_less_than_five():
    rows = figures([*many(5, acknowledged_at=FRIDAY + timedelta(days=3)), *many(2, hub="angered")], group_by=("hub",))
    lines = to_csv(rows).splitlines()
    header = lines[0].split(",")
    assert header[:4] == list(KEYS) == ["hub", "partner", "service", "month"]
    assert header[4:] == list(COLUMNS)
    assert header[4:8] == ["sent", "acknowledged", "accepted", "rejected"]
    assert header[-2:] == ["median_days_to_acknowledge", "median_days_to_answer"]
    assert "rejected.no-capacity" in header and "outcome.own-business" in header
    assert [h for h in header if h.startswith("outcome.")] == sorted(h for h in header if h.startswith("outcome."))
    angered = dict(zip(header, lines[1].split(","), strict=True))
    hjallbo = dict(zip(header, lines[2].split(","), strict=True))
    assert angered["hub"] == "angered" and angered["month"] == "" and angered["sent"] == "<5"
    assert angered["failed"] == "0" and angered["median_days_to_acknowledge"] == "<5"
    assert hjallbo["sent"] == "5" and hjallbo["acknowledged"] == "5" and hjallbo["median_days_to_acknowledge"] == "1"
    assert to_csv([]).splitlines() == [lines[0]]


def test_the_text_table_is_fixed_width_and_leaves_out_detail_columns_that_are_all_zero():
    records = [*many(6, status=Status.COMPLETED, main_activity="studies"), *many(3, hub="angered")]
    text = to_table(figures(records, group_by=("hub", "month")))
    lines = text.splitlines()
    assert lines[0].split()[:5] == ["hub", "partner", "service", "month", "sent"]
    assert "outcome.studies" in lines[0] and "outcome.work" not in lines[0] and "rejected.other" not in lines[0]
    assert set(lines[1]) == {"-", " "}
    assert lines[2].split()[:5] == ["angered", "all", "all", "2026-03", "<5"]
    assert lines[3].split()[:5] == ["hjallbo", "all", "all", "2026-03", "6"]
    assert len({len(line) for line in lines[:2]}) == 1
    assert to_table([]) == "no referrals\n"
