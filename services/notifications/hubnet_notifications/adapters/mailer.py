"""E-mail over SMTP (aiosmtplib): plain text, from the configured sender."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib

from hubnet_notifications.domain.wording import Wording


class MailRejected(Exception):
    """The server refused the mail for good (5xx): retrying will not help."""


class SmtpMailer:
    def __init__(
        self, host: str, port: int, *, sender: str, starttls: bool = False, user: str | None = None,
        password: str | None = None, timeout: float = 10.0,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.starttls, self.user, self.password, self.timeout = starttls, user, password, timeout

    async def send(self, to: str, wording: Wording, *, message_id: str) -> None:
        """Send one mail, plain text with an HTML alternative; raises MailRejected when refused
        for good, anything else is transient."""
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = self.sender, to, wording.subject
        mail["Message-ID"] = f"<{message_id}@hubnet>"
        mail.set_content(wording.text)
        mail.add_alternative(wording.html, subtype="html")
        try:
            await aiosmtplib.send(
                mail, hostname=self.host, port=self.port, start_tls=self.starttls, username=self.user,
                password=self.password, timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            if all(r.code >= 500 for r in exc.recipients):
                raise MailRejected(str(exc)) from exc
            raise
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code >= 500:
                raise MailRejected(f"{exc.code} {exc.message}") from exc
            raise
