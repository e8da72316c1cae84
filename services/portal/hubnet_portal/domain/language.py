"""Swedish first; English for staff whose `language` claim asks for it."""

LANGUAGES = ("sv", "en")
DEFAULT = "sv"


def language_of(claim: str | None) -> str:
    return claim if claim in LANGUAGES else DEFAULT
