"""An erasure as a restore of the referrals database cannot undo it
(docs/adr/0011-custodian-rotation-and-restores.md): a record on `referral.erasures.v1` per erased
resident, keyed by their ref, that every key of theirs made at or before `key_made_at` is
destroyed. A key made later (the resident consented again) is not touched. Pseudonymous."""

from __future__ import annotations

from datetime import datetime

from hubnet_common.sdk.messages.base import Message
from hubnet_common.sdk.topics import REFERRAL_ERASURES


class DataKeyDestroyed(Message):
    ce_type = "se.hubnet.data-key.destroyed.v1"
    topic = REFERRAL_ERASURES.name

    participant_ref: str
    key_made_at: datetime

    def subject(self) -> str:
        return self.participant_ref


def latest(records: list[DataKeyDestroyed]) -> dict[str, datetime]:
    """Per resident, the time of the last key destroyed (records in any order)."""
    erased: dict[str, datetime] = {}
    for record in records:
        if record.participant_ref not in erased or erased[record.participant_ref] < record.key_made_at:
            erased[record.participant_ref] = record.key_made_at
    return erased
