"""What a command carries sealed about a resident must open under that resident's data key.

The form (`sealed:v2:`, base64 of at least a nonce and a MAC) is checked by every service
(hubnet_common/sdk/messages/base.py), but base64 of plain text long enough has that form too. Only
a holder of the data key can tell them apart; this service holds a copy of every resident's key
(domain/data_key.py, adapters/custodian.py), so it opens each sealed field and refuses what does
not open: plain text dressed as sealed, or a value sealed under another key. The opened text is
dropped at once and never logged; refusals name the field, never the value.
"""

from hubnet_common.sdk.errors import Refused
from hubnet_common.sdk.sealing import SealingError, open_with_data_key
from hubnet_referrals.domain.data_key import CUSTODIAN
from hubnet_referrals.handlers.ports import KeyCustodian, UnitOfWork


class NotSealed(Refused):
    """A sealed field that does not open under the resident's data key, or sealed text for a resident without one."""

    code = "not-sealed"


async def check_sealed(
    uow: UnitOfWork, custodian: KeyCustodian, participant_ref: str, fields: dict[str, str | None]
) -> None:
    """Refuse unless every non-empty field opens under the resident's data key."""
    given = {name: value for name, value in fields.items() if value}
    if not given:
        return
    copy = (await uow.data_keys.copies(participant_ref)).get(CUSTODIAN)
    if copy is None:
        raise NotSealed(
            f"{', '.join(given)}: the resident has no data key (no consent, or erased); send nothing sealed"
        )
    data_key = custodian.open(copy)
    for name, value in given.items():
        try:
            open_with_data_key(value, data_key)
        except SealingError:
            raise NotSealed(
                f"{name} does not open under the resident's data key: seal it with their data key"
                " (hubnet_common.sdk.sealing.seal_with_data_key), never send it in the clear"
            ) from None
