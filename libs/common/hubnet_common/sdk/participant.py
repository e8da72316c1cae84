"""`participant_ref` (docs/security.md, docs/adr/0007-custodian-pseudonyms.md): a keyed hash of a
resident's personal identity number, so partners can see that two referrals concern one person
without anyone sharing who it is.

The key is the referrals service's alone (`PSEUDONYM_KEY_FILE`). A partner seals the number to that
service's X25519 public key (`seal_personnummer`) in the commands that must prove it knows the
resident (RecordConsent, EraseParticipant); the service answers with the reference. The number is
never on Kafka in the clear, and no partner can hash candidate numbers to reverse a reference.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from datetime import date
from pathlib import Path

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

from hubnet_common.sdk.keys import decode, read_key

# In the keys directory (hubnet_common.sdk.keys): the referrals service's X25519 public key, which
# partners seal numbers to, and its pseudonymisation key (32 random bytes, base64), which only it holds.
CUSTODIAN_PUBLIC_KEY_FILE = "service-referrals.x25519.pub"
PSEUDONYM_KEY_FILE = "service-referrals.pseudonym.key"

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


def participant_ref(number: str, pseudonym_key: bytes) -> str:
    """HMAC-SHA256 of the normalised number with the referrals service's pseudonymisation key, as hex."""
    return hmac.new(pseudonym_key, normalise(number).encode(), hashlib.sha256).hexdigest()


def custodian_public_key(keys_dir: Path) -> str:
    """The referrals service's X25519 public key, from the keys directory partners are given."""
    return read_key(Path(keys_dir) / CUSTODIAN_PUBLIC_KEY_FILE)


def seal_personnummer(number: str, custodian_public_key_b64: str) -> str:
    """The normalised number sealed (anonymous sealed box) to the referrals service: only it can open
    it. Raises InvalidPersonalNumber first, so a typo is caught before anything is sent."""
    public = PublicKey(decode(custodian_public_key_b64, "the custodian's public key"))
    return base64.b64encode(SealedBox(public).encrypt(normalise(number).encode())).decode("ascii")


def open_personnummer(sealed: str, private_key_b64: str) -> str:
    """The normalised number from `seal_personnummer`, checked (format, date, check digit).
    Raises InvalidPersonalNumber, whose message never holds the number."""
    try:
        opened = SealedBox(PrivateKey(decode(private_key_b64, "the private key"))).decrypt(
            base64.b64decode(sealed, validate=True)
        )
        text = opened.decode("ascii")
    except (CryptoError, binascii.Error, ValueError):
        raise InvalidPersonalNumber("cannot open the sealed number: sealed to another key, or altered") from None
    return normalise(text)


def _luhn_ok(ten_digits: str) -> bool:
    total = 0
    for i, ch in enumerate(ten_digits):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0
