"""Refusals: a command that breaks a rule is answered with a machine-readable code and a sentence."""

from pydantic import BaseModel


class FieldError(BaseModel):
    field: str
    problem: str


class Refused(Exception):
    """Raised by a domain model or handler; the processor answers the command with it."""

    code = "refused"

    def __init__(self, reason: str, *, code: str | None = None, errors: list[FieldError] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code or self.code
        self.errors = errors or []
