"""Daily digests: when one is due, when the next falls due across DST, and what it says."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from hubnet_notifications.domain.digest import (
    STOCKHOLM,
    DigestItem,
    compose_digest,
    digest_day_due,
    next_digest_at,
)
from hubnet_notifications.domain.wording import NO_PERSONAL_DATA

SEND_AT = time(7, 30)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=STOCKHOLM)


# --- digest_day_due -------------------------------------------------------------------------


def test_not_due_before_send_at() -> None:
    assert digest_day_due(local(2026, 11, 25, 7, 29, 59), SEND_AT) is None
    assert digest_day_due(local(2026, 11, 25, 0, 0), SEND_AT) is None


def test_due_at_and_after_send_at() -> None:
    assert digest_day_due(local(2026, 11, 25, 7, 30), SEND_AT) == date(2026, 11, 25)
    assert digest_day_due(local(2026, 11, 25, 23, 59), SEND_AT) == date(2026, 11, 25)


def test_restart_later_the_same_day_is_still_due() -> None:
    # The service was down at 07:30; at 09:00 today's digest is still due (unless recorded as sent).
    assert digest_day_due(local(2026, 11, 25, 9, 0), SEND_AT) == date(2026, 11, 25)


def test_due_uses_local_time_not_utc() -> None:
    # 06:45 UTC is 07:45 in Stockholm in winter, 08:45 in summer.
    assert digest_day_due(datetime(2026, 11, 25, 6, 45, tzinfo=UTC), SEND_AT) == date(2026, 11, 25)
    assert digest_day_due(datetime(2026, 11, 25, 6, 15, tzinfo=UTC), SEND_AT) is None
    # 23:30 UTC on the 24th is already the 25th locally, but before 07:30.
    assert digest_day_due(datetime(2026, 11, 24, 23, 30, tzinfo=UTC), time(0, 15)) == date(2026, 11, 25)


def test_due_with_another_zone() -> None:
    helsinki = ZoneInfo("Europe/Helsinki")
    assert digest_day_due(datetime(2026, 11, 25, 5, 45, tzinfo=UTC), SEND_AT, helsinki) == date(2026, 11, 25)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError):
        digest_day_due(datetime(2026, 11, 25, 9, 0), SEND_AT)
    with pytest.raises(ValueError):
        next_digest_at(datetime(2026, 11, 25, 9, 0), SEND_AT)


# --- next_digest_at -------------------------------------------------------------------------


def test_next_is_today_before_send_at_and_tomorrow_at_or_after() -> None:
    assert next_digest_at(local(2026, 11, 25, 6, 0), SEND_AT) == datetime(2026, 11, 25, 6, 30, tzinfo=UTC)
    # Strictly after now: exactly at send_at the next one is tomorrow.
    assert next_digest_at(local(2026, 11, 25, 7, 30), SEND_AT) == datetime(2026, 11, 26, 6, 30, tzinfo=UTC)
    assert next_digest_at(local(2026, 11, 25, 9, 0), SEND_AT) == datetime(2026, 11, 26, 6, 30, tzinfo=UTC)


def test_next_is_utc() -> None:
    at = next_digest_at(local(2026, 11, 25, 9, 0), SEND_AT)
    assert at.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("now", "expected_utc"),
    [
        # Spring forward, Sunday 2026-03-29: 07:30 CET on Saturday, 07:30 CEST on Sunday.
        (local(2026, 3, 28, 8, 0), datetime(2026, 3, 29, 5, 30, tzinfo=UTC)),
        (local(2026, 3, 28, 7, 0), datetime(2026, 3, 28, 6, 30, tzinfo=UTC)),
        (local(2026, 3, 29, 1, 0), datetime(2026, 3, 29, 5, 30, tzinfo=UTC)),
        (local(2026, 3, 29, 8, 0), datetime(2026, 3, 30, 5, 30, tzinfo=UTC)),
        # Fall back, Sunday 2026-10-25: 07:30 CEST on Saturday, 07:30 CET on Sunday.
        (local(2026, 10, 24, 7, 0), datetime(2026, 10, 24, 5, 30, tzinfo=UTC)),
        (local(2026, 10, 24, 8, 0), datetime(2026, 10, 25, 6, 30, tzinfo=UTC)),
        (local(2026, 10, 25, 2, 30), datetime(2026, 10, 25, 6, 30, tzinfo=UTC)),
        (local(2026, 10, 25, 8, 0), datetime(2026, 10, 26, 6, 30, tzinfo=UTC)),
    ],
)
def test_next_stays_at_local_send_time_across_dst(now: datetime, expected_utc: datetime) -> None:
    at = next_digest_at(now, SEND_AT)
    assert at == expected_utc
    assert at.tzinfo is UTC
    assert at.astimezone(STOCKHOLM).time() == SEND_AT


def test_utc_offset_changes_but_local_time_does_not() -> None:
    before = next_digest_at(local(2026, 3, 28, 7, 0), SEND_AT)
    after = next_digest_at(before, SEND_AT)
    assert after - before == timedelta(hours=23)
    before = next_digest_at(local(2026, 10, 24, 7, 0), SEND_AT)
    after = next_digest_at(before, SEND_AT)
    assert after - before == timedelta(hours=25)


def test_send_time_in_the_spring_gap_is_the_first_valid_time_after_it() -> None:
    # 2026-03-29 Stockholm: 02:00–03:00 does not exist; 02:30 means 03:00 CEST (01:00 UTC).
    send_at = time(2, 30)
    at = next_digest_at(local(2026, 3, 29, 0, 0), send_at)
    assert at == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert at.astimezone(STOCKHOLM).replace(tzinfo=None) == datetime(2026, 3, 29, 3, 0)
    # ... and it agrees with digest_day_due: not due just before, due at that moment.
    assert digest_day_due(at - timedelta(seconds=1), send_at) is None
    assert digest_day_due(at, send_at) == date(2026, 3, 29)
    # The day before and the day after it is plain 02:30 local.
    assert next_digest_at(local(2026, 3, 28, 3, 0), send_at) == at
    assert next_digest_at(at, send_at) == datetime(2026, 3, 30, 0, 30, tzinfo=UTC)
    assert next_digest_at(local(2026, 3, 27, 12, 0), send_at) == datetime(2026, 3, 28, 1, 30, tzinfo=UTC)


def test_send_time_in_the_autumn_overlap_is_its_first_occurrence() -> None:
    # 2026-10-25 Stockholm: 02:00–03:00 happens twice; 02:30 means the first (CEST, 00:30 UTC).
    send_at = time(2, 30)
    at = next_digest_at(local(2026, 10, 25, 0, 0), send_at)
    assert at == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    # After the first 02:30 the next is tomorrow, not the second 02:30 (01:30 UTC) today.
    assert next_digest_at(at, send_at) == datetime(2026, 10, 26, 1, 30, tzinfo=UTC)


# --- compose_digest -------------------------------------------------------------------------

DAY = date(2026, 11, 25)
ITEMS = [
    DigestItem("Remiss R-3 har accepterats", "https://hub.example/r/3", local(2026, 11, 25, 7, 5)),
    DigestItem("Ny remiss R-1 till er vid Tensta", "https://hub.example/r/1", local(2026, 11, 24, 16, 40)),
    DigestItem("Remiss R-2 pågår", "https://hub.example/r/2", datetime(2026, 11, 24, 22, 15, tzinfo=UTC)),
]


def test_compose_swedish() -> None:
    wording = compose_digest("sv", DAY, ITEMS)
    assert wording is not None
    assert wording.subject == "Sammanfattning för 2026-11-25: 3 händelser"
    assert wording.text.endswith(NO_PERSONAL_DATA["sv"])
    for item in ITEMS:
        assert item.subject in wording.text and item.link in wording.text


def test_compose_english() -> None:
    wording = compose_digest("en", DAY, ITEMS)
    assert wording is not None
    assert wording.subject == "Summary for 2026-11-25: 3 updates"
    assert wording.text.endswith(NO_PERSONAL_DATA["en"])


def test_compose_singular() -> None:
    assert compose_digest("sv", DAY, ITEMS[:1]).subject == "Sammanfattning för 2026-11-25: 1 händelse"
    assert compose_digest("en", DAY, ITEMS[:1]).subject == "Summary for 2026-11-25: 1 update"


def test_compose_lists_items_in_time_order_with_local_times() -> None:
    text = compose_digest("sv", DAY, ITEMS).text
    positions = [text.index(link) for link in ("/r/1", "/r/2", "/r/3")]
    assert positions == sorted(positions)
    # Local wall time; the UTC item (22:15 UTC) is 23:15 in Stockholm. Earlier days show the date.
    assert "2026-11-24 16:40  Ny remiss R-1 till er vid Tensta" in text
    assert "2026-11-24 23:15  Remiss R-2 pågår" in text
    assert "\n07:05  Remiss R-3 har accepterats" in text


def test_compose_nothing_is_no_mail() -> None:
    assert compose_digest("sv", DAY, []) is None
    assert compose_digest("en", DAY, []) is None
