"""Read the mails the local SMTP sink keeps as `.eml` files (HUBNET_MAIL_DIR)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class KeptMail:
    path: Path
    to: str
    subject: str
    text: str
    message_id: str


def kept_mails(mail_dir: Path) -> list[KeptMail]:
    mails = []
    for path in sorted(mail_dir.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        mails.append(
            KeptMail(
                path,
                str(message["To"]),
                " ".join(str(message["Subject"]).split()),
                body.get_content() if body else "",
                str(message["Message-ID"] or ""),
            )
        )
    return mails


async def wait_for_mail(mail_dir: Path, contains: str, *, to: str | None = None, timeout: float = 30.0) -> KeptMail:
    """The first kept mail whose subject contains `contains` (and sent to `to`, if given)."""
    deadline = time.monotonic() + timeout
    while True:
        for mail in kept_mails(mail_dir):
            if contains in mail.subject and (to is None or to in mail.to):
                return mail
        if time.monotonic() > deadline:
            raise TimeoutError(f"no mail about {contains!r} in {mail_dir} within {timeout:.0f} s")
        await asyncio.sleep(0.1)
