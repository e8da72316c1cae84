"""Every string the portal shows is in its gettext catalogues, with a Swedish translation."""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po
from hubnet_portal.adapters.translations import LOCALE, catalogues

from tests.conftest import ROOT

PORTAL = ROOT / "services" / "portal"
PYBABEL = str(Path(sys.executable).parent / "pybabel")


def message_ids(path) -> set[str]:
    with path.open("rb") as file:
        return {str(message.id) for message in read_po(file) if message.id}


def test_the_template_holds_every_string_of_the_code_and_templates(tmp_path):
    extracted = tmp_path / "messages.pot"
    subprocess.run(
        [
            PYBABEL,
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "--no-location",
            "--omit-header",
            "-o",
            str(extracted),
            ".",
        ],
        cwd=PORTAL,
        check=True,
        capture_output=True,
    )
    assert message_ids(extracted) == message_ids(LOCALE / "messages.pot"), "run pybabel extract (babel.cfg)"


def test_every_string_has_its_swedish_and_english_words():
    wanted = message_ids(LOCALE / "messages.pot")
    for language, catalogue in catalogues().items():
        missing = sorted(m for m in wanted if m not in catalogue._messages)
        assert missing == [], f"no {language} for these"
    assert catalogues()["sv"].gettext("Inbox") == "Inkorg"
