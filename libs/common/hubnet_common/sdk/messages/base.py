"""Message bodies: pydantic models that know their CloudEvents type and their topic."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Annotated, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

MESSAGE_TYPES: dict[str, type[Message]] = {}

Id = Annotated[str, StringConstraints(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9._:-]+$")]
# HMAC-SHA256 of a normalised personal identity number, hex: never the number itself.
ParticipantRef = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
# A personnummer sealed to the referrals service (hubnet_common.sdk.participant.seal_personnummer),
# base64: only that service can open it.
SealedPersonnummer = Annotated[str, StringConstraints(max_length=200, pattern=r"^[A-Za-z0-9+/]+={0,2}$")]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
LongText = Annotated[str, StringConstraints(max_length=4000, strip_whitespace=True)]

# What concerns a resident (contact details, free text) is sealed under the resident's data key
# (`hubnet_common.sdk.sealing`), so that destroying the key erases every copy, on Kafka too.
_SEALED = re.compile(r"sealed:v2:[A-Za-z0-9+/]+={0,2}")
_NOT_SEALED = (
    "must be sealed with the resident's data key ('sealed:v2:…', see hubnet_common.sdk.sealing): "
    "what concerns a resident never travels in the clear"
)


# A SecretBox value is its 24-byte nonce, the 16-byte Poly1305 MAC, then the ciphertext
# (hubnet_common/sdk/sealing.py): even an empty text seals to 40 bytes. Only the holder of the
# data key can tell ciphertext from base64 of plain text; the referrals service does
# (hubnet_referrals/handlers/sealed.py).
SEALED_MIN_BYTES = 24 + 16


def _sealed(value: str) -> str:
    if not _SEALED.fullmatch(value):
        raise ValueError(_NOT_SEALED)
    try:
        raw = base64.b64decode(value[len("sealed:v2:") :], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(_NOT_SEALED) from None
    if len(raw) < SEALED_MIN_BYTES:
        raise ValueError(_NOT_SEALED)
    return value


def _sealed_or_empty(value: str) -> str:
    return _sealed(value) if value else value


# Room for a LongText of multi-byte characters, sealed and in base64.
Sealed = Annotated[str, Field(max_length=24000), AfterValidator(_sealed)]
SealedText = Annotated[str, Field(max_length=24000), AfterValidator(_sealed_or_empty)]  # "" for none


class Message(BaseModel):
    """A message body. Subclasses set `ce_type` and `topic` and are registered by type."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    ce_type: ClassVar[str]
    topic: ClassVar[str]

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "ce_type" in cls.__dict__:
            if cls.ce_type in MESSAGE_TYPES:
                raise TypeError(f"two message models claim {cls.ce_type}")
            MESSAGE_TYPES[cls.ce_type] = cls

    def subject(self) -> str:
        """The aggregate id: record key and `ce_subject`."""
        raise NotImplementedError


class Command(Message):
    """A request that may be refused. Unknown fields are an error, so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Fact(Message):
    """Something that happened; consumers ignore fields they do not know (v1 only gains fields)."""
