"""Open a referral's contact details and need for the staff member who asked, with the partner's
copy of the resident's data key: for that one answer, never stored or logged. The referrals service
records the key's reading (who: the staff member) in its access log: that is the opening's audit."""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from hubnet_common.sdk.data_key import DataKeyMissing
from hubnet_common.sdk.sealing import ContactDetails, SealingError, open_contact, open_with_data_key
from hubnet_portal.domain.words import N_
from hubnet_portal.handlers.ports import DataKeys

log = structlog.get_logger(__name__)
NO_COPY = N_("Your organisation holds no key to this resident's details: not covered by the consent, or erased.")
UNREADABLE = N_("The details could not be opened with your organisation's key.")


@dataclass(frozen=True)
class Opened:
    contact: ContactDetails | None = None
    need: str | None = None
    trouble: str | None = None  # a gettext message id, when nothing could be opened


async def open_resident(data_keys: DataKeys, token: str, referral: dict, *, staff_id: str) -> Opened:
    try:
        key = await data_keys.data_key(token, referral["participant_ref"])
    except DataKeyMissing:
        log.info("no data key copy", referral=referral.get("id"), staff=staff_id)
        return Opened(trouble=NO_COPY)
    try:
        sealed_contact = referral.get("sealed_contact")
        contact = open_contact(sealed_contact, key) if sealed_contact else None
        need = open_with_data_key(referral["need"], key) if referral.get("need") else None
    except SealingError:
        log.warning("sealed details not opened", referral=referral.get("id"), staff=staff_id)
        return Opened(trouble=UNREADABLE)
    log.info("resident details opened", referral=referral.get("id"), staff=staff_id)
    return Opened(contact, need)
