"""Which resident a command that gains or ends access concerns (docs/adr/0007-custodian-pseudonyms.md).

A `participant_ref` is on the shared facts, so it proves nothing: RecordConsent and EraseParticipant
carry the resident's personnummer sealed to this service, which opens it and makes the ref with the
key only it holds (adapters/custodian.py). The number is never kept, logged or published, and no
refusal repeats it.
"""

from hubnet_common.sdk.errors import FieldError, Refused
from hubnet_common.sdk.participant import InvalidPersonalNumber
from hubnet_referrals.handlers.ports import KeyCustodian


class ResidentUnproven(Refused):
    """No sealed personnummer (a participant_ref alone), or a ref that is not the sealed number's:
    send the number sealed to the referrals service."""

    code = "resident-unproven"


class InvalidPersonnummer(Refused):
    """The sealed personnummer does not open, or is not a valid number (format, date, check digit)."""

    code = "invalid-personnummer"


def proven_ref(sealed_personnummer: str | None, claimed_ref: str | None, custodian: KeyCustodian) -> str:
    """The ref of the resident whose number the sender sealed; a ref given too must be theirs."""
    if sealed_personnummer is None:
        raise ResidentUnproven(
            "this command needs the resident's personnummer sealed to the referrals service "
            "(sealed_personnummer, hubnet_common.sdk.participant.seal_personnummer): a participant_ref "
            "alone is on the shared facts and proves nothing"
        )
    try:
        ref = custodian.participant_ref(sealed_personnummer)
    except InvalidPersonalNumber:
        # Not the exception's text: it may name the date of birth.
        problem = "not a valid personnummer or samordningsnummer sealed to the referrals service"
        raise InvalidPersonnummer(
            f"sealed_personnummer is {problem} (format, date, check digit)",
            errors=[FieldError(field="sealed_personnummer", problem=problem)],
        ) from None
    if claimed_ref is not None and claimed_ref != ref:
        raise ResidentUnproven("participant_ref is not the reference of the sealed personnummer")
    return ref
