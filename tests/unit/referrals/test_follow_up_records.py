"""What follow-up takes from a referral's history, and the exact text of the CSV and table reports."""

from datetime import timedelta

from hubnet_common.sdk.messages.vocabulary import Status
from hubnet_referrals.domain.follow_up import ReferralRecord, figures, record_from_history, to_csv, to_table
from tests.unit.referrals.test_follow_up import FRIDAY, history, many, referral_row


def test_a_record_keeps_the_first_acknowledgement_and_answer_and_the_latest_outcome():
    steps = history(
        ("acknowledge", 1),
        ("reject", 3, "no-capacity"),
        ("reopen", 4),
        ("complete", 10, "studies"),
        ("reopen", 11),
        ("acknowledge", 12),
        ("accept", 13),
        ("complete", 14, "own-business"),
    )
    record = record_from_history(
        referral_row(7, "completed", hub_id="bergsjon", service_id="brg-coaching"), reversed(steps)
    )
    assert record == ReferralRecord(
        referral_id="r7",
        hub_id="bergsjon",
        receiver_partner_id="brg",
        service_id="brg-coaching",
        requested_at=FRIDAY,
        status=Status.COMPLETED,
        acknowledged_at=FRIDAY + timedelta(days=1),
        answered_at=FRIDAY + timedelta(days=3),
        answer="reject",
        reject_reason="no-capacity",
        main_activity="own-business",
    )


def test_an_accepted_referral_has_no_reject_reason_and_one_not_yet_answered_has_no_answer():
    accepted = record_from_history(referral_row(1, "accepted"), history(("acknowledge", 1), ("accept", 2)))
    assert (accepted.answer, accepted.answered_at, accepted.reject_reason) == (
        "accept",
        FRIDAY + timedelta(days=2),
        None,
    )
    waiting = record_from_history(referral_row(2, "requested"), history())
    assert (waiting.acknowledged_at, waiting.answer, waiting.answered_at, waiting.main_activity) == (
        None,
        None,
        None,
        None,
    )


def test_the_csv_report_is_exactly_one_line_per_group_with_unix_line_ends():
    rows = figures(many(5, acknowledged_at=FRIDAY + timedelta(days=3)), group_by=("hub",))
    text = to_csv(rows)
    assert "\r" not in text and text.count("\n") == 2
    assert text.splitlines()[1].startswith("hjallbo,,,,5,5,0,0,")


def test_the_text_table_aligns_keys_left_and_figures_right():
    records = [*many(6, status=Status.COMPLETED, main_activity="studies"), *many(3, hub="angered")]
    lines = to_table(figures(records, group_by=("hub",))).splitlines()
    assert lines[0].startswith("hub      partner  service  month  sent  acknowledged")
    assert lines[2].startswith("angered  all      all      all      <5             0")
    assert lines[3].startswith("hjallbo  all      all      all       6             0")
    assert all(line == line.rstrip() for line in lines)
