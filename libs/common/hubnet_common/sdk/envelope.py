"""The CloudEvents 1.0 envelope in Kafka binary mode.

Attributes travel as `ce_*` record headers, the body is the JSON of a message model, the record key
is the aggregate id. A W3C `traceparent` header carries the trace from a command to every fact it
causes.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
# ce_time too: a command's signed time is what closes its replay window (sdk/signing.py `check_fresh`).
REQUIRED = ("ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time")
# Not in any hubnet header; NUL cannot even be stored in PostgreSQL text.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def readable(text: str) -> str:
    """`text` without control characters, for a value that must be stored or logged anyway."""
    return CONTROL_CHARACTERS.sub("", text)


class EnvelopeInvalid(ValueError):
    """A record whose headers do not make a CloudEvent we can process."""


def uuid7() -> str:
    """A time-ordered UUID (RFC 9562 version 7): 48 bits of Unix milliseconds, then randomness."""
    ms = (time.time_ns() // 1_000_000) & 0xFFFF_FFFF_FFFF
    rand = os.urandom(10)
    # Written out as hex, not through uuid.UUID: the notifications service makes one per recipient.
    h = (ms.to_bytes(6, "big") + bytes((0x70 | rand[0] & 0x0F, rand[1], 0x80 | rand[2] & 0x3F)) + rand[3:]).hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def new_traceparent(trace_id: str | None = None) -> str:
    return f"00-{trace_id or secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


def trace_id_of(traceparent: str) -> str:
    parts = traceparent.split("-")
    return parts[1] if len(parts) == 4 and len(parts[1]) == 32 else ""


@dataclass(frozen=True)
class Envelope:
    id: str
    source: str
    type: str
    subject: str
    time: datetime
    traceparent: str

    @classmethod
    def new(cls, *, type: str, source: str, subject: str, caused_by: Envelope | None = None) -> Envelope:
        """A fresh envelope; one caused by another message continues that message's trace."""
        trace = trace_id_of(caused_by.traceparent) if caused_by else None
        return cls(
            id=uuid7(),
            source=source,
            type=type,
            subject=subject,
            time=datetime.now(UTC),
            traceparent=new_traceparent(trace or None),
        )

    @property
    def trace_id(self) -> str:
        return trace_id_of(self.traceparent)

    def with_subject(self, subject: str) -> Envelope:
        return replace(self, subject=subject)

    def to_headers(self) -> list[tuple[str, bytes]]:
        return [
            ("ce_specversion", SPEC_VERSION.encode()),
            ("ce_id", self.id.encode()),
            ("ce_source", self.source.encode()),
            ("ce_type", self.type.encode()),
            ("ce_time", self.time.isoformat().encode()),
            ("ce_subject", self.subject.encode()),
            ("content-type", CONTENT_TYPE.encode()),
            ("traceparent", self.traceparent.encode()),
        ]

    @classmethod
    def from_headers(cls, headers: list[tuple[str, bytes]] | tuple | None) -> Envelope:
        values: dict[str, str] = {}
        for name, raw in headers or ():
            try:
                values[name] = raw.decode("utf-8") if raw is not None else ""
            except UnicodeDecodeError as exc:
                raise EnvelopeInvalid(f"header {readable(name)} is not valid UTF-8") from exc
            if CONTROL_CHARACTERS.search(values[name]):
                raise EnvelopeInvalid(f"header {readable(name)} contains control characters")
        missing = [name for name in REQUIRED if not values.get(name)]
        if missing:
            raise EnvelopeInvalid(f"missing CloudEvents header(s): {', '.join(missing)}")
        if values["ce_specversion"] != SPEC_VERSION:
            raise EnvelopeInvalid(f"ce_specversion {values['ce_specversion']!r} is not {SPEC_VERSION}")
        content_type = values.get("content-type", CONTENT_TYPE)
        if not content_type.startswith(CONTENT_TYPE):
            raise EnvelopeInvalid(f"content-type {content_type!r} is not {CONTENT_TYPE}")
        return cls(
            id=values["ce_id"],
            source=values["ce_source"],
            type=values["ce_type"],
            subject=values.get("ce_subject", ""),
            time=_parse_time(values["ce_time"]),
            traceparent=values.get("traceparent") or new_traceparent(),
        )


def _parse_time(raw: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise EnvelopeInvalid(f"ce_time {raw!r} is not an RFC 3339 time") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
