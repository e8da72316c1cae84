"""E-mail over SMTP (aiosmtplib): plain text, from the configured sender.

A failure is raised with its reason code (`FailureReason`); the server's reply, which names the
address and often the server's host, is only the exception's text, for the log."""

from __future__ import annotations

import asyncio
import base64
import quopri
from email.utils import formatdate

import aiosmtplib
from aiosmtplib import SMTPDataError, SMTPResponse, SMTPServerDisconnected, SMTPStatus, SMTPTimeoutError
from aiosmtplib.protocol import PERIOD_REGEX, normalize_message_line_endings  # pinned in requirements.lock
from aiosmtplib.typing import Default

from hubnet_common.sdk.messages.notification_events import FailureReason
from hubnet_notifications.domain.wording import Wording
from hubnet_notifications.handlers.ports import DeliveryFailed, DeliveryRefused, HandedOver

CRLF = "\r\n"


class MailRejected(DeliveryRefused):
    """The server refused the mail for good (5xx): retrying will not help."""

    reason = FailureReason.SMTP_REFUSED


class MailNotSent(DeliveryFailed):
    """The mail did not go this time (4xx, no connection, no answer): to be tried again."""

    reason = FailureReason.SMTP_UNREACHABLE


class HandingOverSession(aiosmtplib.SMTP):
    """An SMTP session that calls `handed_over` the moment a mail's last byte (the final dot) is
    written, before it reads the server's answer. From then on the server may take the mail
    whatever becomes of this process, so that is when a record of it is due
    (docs/adr/0001-delivery-outcomes.md). The rest is aiosmtplib's own DATA exchange."""

    handed_over: HandedOver | None = None

    async def data(self, message, /, *, timeout=Default.token) -> SMTPResponse:
        if self.handed_over is None or self.protocol is None:
            return await super().data(message, timeout=timeout)
        await self._ehlo_or_helo_if_needed()
        timeout = self.timeout if timeout is Default.token else timeout
        if isinstance(message, str):
            message = message.encode("ascii")
        message = PERIOD_REGEX.sub(b"..", normalize_message_line_endings(message)) + b".\r\n"
        protocol = self.protocol
        try:
            # aiosmtplib sets its lock when the connection is made, as self.protocol is here.
            async with protocol._command_lock:  # type: ignore[union-attr]
                protocol._response_pending = True
                protocol.write(b"DATA\r\n")
                start = await protocol.read_response(timeout=timeout)
                if start.code != SMTPStatus.start_input:
                    raise SMTPDataError(start.code, start.message)
                protocol._response_pending = True
                protocol.write(message)
                await self.handed_over()
                response = await protocol.read_response(timeout=timeout)
                if response.code != SMTPStatus.completed:
                    raise SMTPDataError(response.code, response.message)
                return response
        except (SMTPServerDisconnected, SMTPTimeoutError):
            self.close()
            raise


class SmtpMailer:
    """Keeps up to `sessions` SMTP sessions open and sends over them: a mail server takes many
    more mails a second over a kept session than with a new connection (and STARTTLS, login)
    for each."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        sender: str,
        starttls: bool = False,
        user: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
        sessions: int = 8,
        links_under: str | tuple[str, ...],
    ) -> None:
        self.host, self.port, self.sender, self.links_under = host, port, sender, links_under
        self.starttls, self.user, self.password, self.timeout = starttls, user, password, timeout
        self.sessions = sessions
        self._slots = asyncio.Semaphore(sessions)
        self._idle: list[HandingOverSession] = []

    async def send(self, to: str, wording: Wording, *, message_id: str, handed_over: HandedOver | None = None) -> None:
        """Send one mail, plain text with an HTML alternative; raises MailRejected when refused
        for good, MailNotSent when it may go later. `handed_over` is awaited once its last byte is out."""
        mail = compose(self.sender, to, wording, message_id, links_under=self.links_under)
        try:
            async with self._slots:
                await self._send(to, mail, handed_over)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            if all(r.code >= 500 for r in exc.recipients):
                raise MailRejected(str(exc)) from exc
            raise MailNotSent(str(exc), FailureReason.SMTP_DEFERRED) from exc
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code >= 500:
                raise MailRejected(f"{exc.code} {exc.message}") from exc
            raise MailNotSent(f"{exc.code} {exc.message}", FailureReason.SMTP_DEFERRED) from exc
        except (OSError, aiosmtplib.SMTPException) as exc:  # SMTPTimeoutError, SMTPServerDisconnected, …
            raise MailNotSent(repr(exc)) from exc

    async def _send(self, to: str, mail: bytes, handed_over: HandedOver | None) -> None:
        if self._idle:
            try:
                return await self._send_over(self._idle.pop(), to, mail, handed_over)
            except aiosmtplib.SMTPServerDisconnected:
                pass  # the server ended the kept session before this mail: a new one
        session = HandingOverSession(
            hostname=self.host,
            port=self.port,
            start_tls=self.starttls,
            username=self.user,
            password=self.password,
            timeout=self.timeout,
        )
        await session.connect()
        await self._send_over(session, to, mail, handed_over)

    async def _send_over(
        self, session: HandingOverSession, to: str, mail: bytes, handed_over: HandedOver | None
    ) -> None:
        """Send, then keep the session for the next mail; a session that failed is closed."""
        session.handed_over = handed_over
        try:
            await session.sendmail(self.sender, [to], mail)
        except BaseException:
            session.close()
            raise
        finally:
            session.handed_over = None
        self._idle.append(session)


def compose(sender: str, to: str, wording: Wording, message_id: str, *, links_under: str | tuple[str, ...]) -> bytes:
    """The mail as sent: multipart/alternative, plain text and HTML, quoted-printable UTF-8.
    Written out here because the email package's message objects cost more CPU than everything
    else a notification needs (about 1.7 ms a mail)."""
    for address in (sender, to):  # nothing that could end a header early or needs SMTPUTF8
        if not address.isascii() or "\r" in address or "\n" in address:
            raise MailRejected(f"not an address this mailer can send to: {address!r}", FailureReason.ADDRESS_INVALID)
    boundary = f"hubnet-{message_id}"
    head = [
        f"From: {sender}",
        f"To: {to}",
        f"Subject: {encoded_words(wording.subject)}",
        f"Message-ID: <{message_id}@hubnet>",
        f"Date: {formatdate(usegmt=True)}",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
    ]
    parts = [
        f"--{boundary}{CRLF}Content-Type: text/{kind}; charset=utf-8{CRLF}"
        f"Content-Transfer-Encoding: quoted-printable{CRLF}{CRLF}{_quoted_printable(body)}"
        for kind, body in (("plain", wording.text), ("html", wording.html(links_under)))
    ]
    return f"{CRLF.join(head)}{CRLF}{CRLF}{CRLF.join(parts)}{CRLF}--{boundary}--{CRLF}".encode("ascii")


ENCODED_WORD_BYTES = 36  # "=?utf-8?b?" + 48 characters + "?=" keeps every folded line under 76


def encoded_words(text: str) -> str:
    """A header value as RFC 2047 words: short printable ASCII as it is, anything else as UTF-8
    in base64 words, one per folded line, never splitting a character. The email package's
    `Header` does the same at several times the CPU: it weighs quoted-printable against base64
    for every word (BENCHMARKS.md)."""
    if len(text) <= 60 and text.isascii() and text.isprintable() and "=?" not in text:
        return text
    words, word = [], b""
    for character in text:
        encoded = character.encode("utf-8")
        if len(word) + len(encoded) > ENCODED_WORD_BYTES:
            words.append(word)
            word = b""
        word += encoded
    words.append(word)
    return f"{CRLF} ".join(f"=?utf-8?b?{base64.b64encode(w).decode('ascii')}?=" for w in words)


def _quoted_printable(text: str) -> str:
    return quopri.encodestring(text.encode("utf-8")).decode("ascii").replace("\n", CRLF)
