"""The gettext catalogues (hubnet_portal/locale/<lang>/LC_MESSAGES/messages.po), read with Babel
when the portal starts: no compiled files to keep in step."""

from __future__ import annotations

import gettext
from pathlib import Path

from babel.messages.pofile import read_po

from hubnet_portal.domain.language import LANGUAGES

LOCALE = Path(__file__).resolve().parent.parent / "locale"


class Catalogue(gettext.NullTranslations):
    def __init__(self, messages: dict[str, str]) -> None:
        super().__init__()
        self._messages = messages

    def gettext(self, message: str) -> str:
        return self._messages.get(message) or message


def catalogue(language: str, locale: Path = LOCALE) -> Catalogue:
    path = locale / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as file:
        entries = read_po(file, locale=language)
    return Catalogue({str(m.id): str(m.string) for m in entries if m.id and m.string and not m.fuzzy})


def catalogues(locale: Path = LOCALE) -> dict[str, Catalogue]:
    return {language: catalogue(language, locale) for language in LANGUAGES}
