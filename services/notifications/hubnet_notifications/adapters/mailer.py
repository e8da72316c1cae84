"""E-mail over SMTP (aiosmtplib): plain text, from the configured sender."""

from __future__ import annotations

import asyncio
import quopri
from email.header import Header
from email.utils import formatdate

import aiosmtplib

from hubnet_notifications.domain.wording import Wording


CRLF = "\r\n"


class MailRejected(Exception):
    """The server refused the mail for good (5xx): retrying will not help."""


class SmtpMailer:
    """Keeps up to `sessions` SMTP sessions open and sends over them: a mail server takes many
    more mails a second over a kept session than with a new connection (and STARTTLS, login)
    for each."""

    def __init__(
        self, host: str, port: int, *, sender: str, starttls: bool = False, user: str | None = None,
        password: str | None = None, timeout: float = 10.0, sessions: int = 8,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.starttls, self.user, self.password, self.timeout = starttls, user, password, timeout
        self._slots = asyncio.Semaphore(sessions)
        self._idle: list[aiosmtplib.SMTP] = []

    async def send(self, to: str, wording: Wording, *, message_id: str) -> None:
        """Send one mail, plain text with an HTML alternative; raises MailRejected when refused
        for good, anything else is transient."""
        mail = compose(self.sender, to, wording, message_id)
        try:
            async with self._slots:
                await self._send(to, mail)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            if all(r.code >= 500 for r in exc.recipients):
                raise MailRejected(str(exc)) from exc
            raise
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code >= 500:
                raise MailRejected(f"{exc.code} {exc.message}") from exc
            raise

    async def _send(self, to: str, mail: bytes) -> None:
        if self._idle:
            try:
                return await self._send_over(self._idle.pop(), to, mail)
            except aiosmtplib.SMTPServerDisconnected:
                pass  # the server ended the kept session before this mail: a new one
        session = aiosmtplib.SMTP(hostname=self.host, port=self.port, start_tls=self.starttls, username=self.user,
                                  password=self.password, timeout=self.timeout)
        await session.connect()
        await self._send_over(session, to, mail)

    async def _send_over(self, session: aiosmtplib.SMTP, to: str, mail: bytes) -> None:
        """Send, then keep the session for the next mail; a session that failed is closed."""
        try:
            await session.sendmail(self.sender, [to], mail)
        except BaseException:
            session.close()
            raise
        self._idle.append(session)


def compose(sender: str, to: str, wording: Wording, message_id: str) -> bytes:
    """The mail as sent: multipart/alternative, plain text and HTML, quoted-printable UTF-8.
    Written out here because the email package's message objects cost more CPU than everything
    else a notification needs (about 1.7 ms a mail)."""
    for address in (sender, to):  # nothing that could end a header early or needs SMTPUTF8
        if not address.isascii() or "\r" in address or "\n" in address:
            raise MailRejected(f"not an address this mailer can send to: {address!r}")
    boundary = f"hubnet-{message_id}"
    head = [f"From: {sender}", f"To: {to}", f"Subject: {Header(wording.subject, 'utf-8').encode(linesep=CRLF)}",
            f"Message-ID: <{message_id}@hubnet>", f"Date: {formatdate(usegmt=True)}", "MIME-Version: 1.0",
            f'Content-Type: multipart/alternative; boundary="{boundary}"']
    parts = [f"--{boundary}{CRLF}Content-Type: text/{kind}; charset=utf-8{CRLF}"
             f"Content-Transfer-Encoding: quoted-printable{CRLF}{CRLF}{_quoted_printable(body)}"
             for kind, body in (("plain", wording.text), ("html", wording.html))]
    return f"{CRLF.join(head)}{CRLF}{CRLF}{CRLF.join(parts)}{CRLF}--{boundary}--{CRLF}".encode("ascii")


def _quoted_printable(text: str) -> str:
    return quopri.encodestring(text.encode("utf-8")).decode("ascii").replace("\n", CRLF)
