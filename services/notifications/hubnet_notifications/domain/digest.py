"""Daily digests: staff who chose "digest" get one e-mail a day, at a local time, listing what
happened since their last digest. Pure: the "sent for (staff, day)" record is kept elsewhere, and
together with `digest_day_due` makes it once per day, also across restarts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hubnet_notifications.domain.wording import NO_PERSONAL_DATA, Wording

STOCKHOLM = ZoneInfo("Europe/Stockholm")


@dataclass(frozen=True)
class DigestItem:
    subject: str
    link: str
    at: datetime


def _local(now: datetime, tz: ZoneInfo) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(tz)


def digest_day_due(now: datetime, send_at: time, tz: ZoneInfo = STOCKHOLM) -> date | None:
    """The local day whose digest is due at `now`: today once the local wall clock has reached
    `send_at` (a naive wall time), else None. Still due after a restart later the same day."""
    local = _local(now, tz)
    return local.date() if local.time().replace(tzinfo=None) >= send_at else None


def _first_valid(wall: datetime, tz: ZoneInfo) -> datetime:
    """`wall` (naive) as a UTC instant. An ambiguous wall time (autumn, clocks go back) means its
    first occurrence (fold=0). A wall time that does not exist (spring, clocks go forward) means
    the first valid moment after it: the end of the gap, e.g. 02:30 → 03:00 on 2026-03-29 in
    Stockholm, so it agrees with `digest_day_due`, which is true from 03:00 on that day."""
    at = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if at.astimezone(tz).replace(tzinfo=None) == wall:
        return at
    # In a gap: fold=1 reads it with the offset after, fold=0 with the offset before; the
    # transition lies between the two instants. Find its first second.
    lo = int(wall.replace(tzinfo=tz, fold=1).timestamp())
    hi = int(wall.replace(tzinfo=tz, fold=0).timestamp())
    after = datetime.fromtimestamp(hi, tz).utcoffset()
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if datetime.fromtimestamp(mid, tz).utcoffset() == after else (mid, hi)
    return datetime.fromtimestamp(hi, UTC)


def next_digest_at(now: datetime, send_at: time, tz: ZoneInfo = STOCKHOLM) -> datetime:
    """The next moment (aware, UTC) strictly after `now` at which a digest falls due: local
    `send_at` today or tomorrow, built as a wall time so it stays put across DST changes."""
    today = _local(now, tz).date()
    for day in (today, today + timedelta(days=1)):
        at = _first_valid(datetime.combine(day, send_at.replace(tzinfo=None)), tz)
        if at > now:
            return at
    raise AssertionError("tomorrow's send time is always after now")  # pragma: no cover


def _when(at: datetime, day: date) -> str:
    local = at.astimezone(STOCKHOLM)
    return local.strftime("%H:%M") if local.date() == day else local.strftime("%Y-%m-%d %H:%M")


def compose_digest(language: str, day: date, items: list[DigestItem]) -> Wording | None:
    """The digest for `day`, items in time order; None when there is nothing (no mail is sent).
    Items from an earlier day than `day` show their date as well as the time."""
    if not items:
        return None
    lines = "\n".join(f"{_when(i.at, day)}  {i.subject}\n       {i.link}" for i in sorted(items, key=lambda i: i.at))
    n = len(items)
    if language == "en":
        return Wording(
            f"Summary for {day.isoformat()}: {n} update{'' if n == 1 else 's'}",
            f"Since your last summary:\n\n{lines}\n\n{NO_PERSONAL_DATA['en']}",
        )
    return Wording(
        f"Sammanfattning för {day.isoformat()}: {n} händelse{'' if n == 1 else 'r'}",
        f"Sedan din förra sammanfattning har följande hänt:\n\n{lines}\n\n{NO_PERSONAL_DATA['sv']}",
    )
