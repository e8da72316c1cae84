"""`participant_ref` (docs/security.md): a keyed hash of a resident's personal identity number, so
partners can see that two referrals concern one person without anyone sharing who it is.

The number never leaves the partner that collected it: only the reference goes on Kafka.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date

_FORMAT = re.compile(r"^(\d{2})?(\d{2})(\d{2})(\d{2})[-+]?(\d{4})$")


class InvalidPersonalNumber(ValueError):
    """Not a valid personnummer or samordningsnummer (format, date or check digit)."""


def normalise(number: str, *, today: date | None = None) -> str:
    """The 12-digit form YYYYMMDDNNNC of a personnummer or samordningsnummer (day + 60)."""
    match = _FORMAT.match(number.strip().replace(" ", ""))
    if not match:
        raise InvalidPersonalNumber("expected YYYYMMDD-NNNN or YYMMDD-NNNN")
    century, yy, mm, dd, tail = match.groups()
    if century is None:
        today = today or date.today()
        # A 10-digit number is within the last 100 years; '+' marks someone 100 or older.
        year = 2000 + int(yy) if 2000 + int(yy) <= today.year else 1900 + int(yy)
        if "+" in number:
            year -= 100
        century = str(year)[:2]
    day = int(dd) - 60 if int(dd) > 60 else int(dd)  # samordningsnummer: day + 60
    try:
        date(int(century + yy), int(mm), day)
    except ValueError as exc:
        raise InvalidPersonalNumber(f"{century}{yy}-{mm}-{dd} is not a date") from exc
    if not _luhn_ok(yy + mm + dd + tail):
        raise InvalidPersonalNumber("the check digit does not match")
    return century + yy + mm + dd + tail


def participant_ref(number: str, network_key: bytes) -> str:
    """HMAC-SHA256 of the normalised number with the network key, as hex."""
    return hmac.new(network_key, normalise(number).encode(), hashlib.sha256).hexdigest()


def _luhn_ok(ten_digits: str) -> bool:
    total = 0
    for i, ch in enumerate(ten_digits):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0
