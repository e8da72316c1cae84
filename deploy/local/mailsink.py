"""Local SMTP sink for development and tests.

Accepts every message (any sender, any recipient, plain SMTP, no STARTTLS;
AUTH, if a client insists, succeeds with any credentials) and stores each one
as a single ``.eml`` file in the mail directory. File names sort by arrival
time and are unique:

    20261125T022830.123456Z-000001-3f2a9c1b7d4e.eml

Each file is the message exactly as received, preceded by three envelope
headers: ``X-Peer``, ``X-MailFrom`` and ``X-RcptTo`` (comma separated). Files
are written to a hidden temporary name and renamed, so a reader never sees a
partial mail. One log line per mail goes to stderr. With ``--answer-after``
each message is stored and answered only that many seconds after its last byte,
as a slow mail server's are (tests stop a sender while its mails are in flight).

Usage (runs until SIGTERM or SIGINT):

    python deploy/local/mailsink.py [--host 127.0.0.1] [--port 2525] [--mail-dir .local/mail] [--answer-after 0]

Defaults come from HUBNET_SMTP_HOST, HUBNET_SMTP_PORT and HUBNET_MAIL_DIR.
Needs ``aiosmtpd``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import os
import signal
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session

log = logging.getLogger("mailsink")


class MailDirHandler:
    """aiosmtpd handler writing each accepted message to its own file."""

    def __init__(self, mail_dir: Path, answer_after: float = 0.0) -> None:
        self.mail_dir, self.answer_after = mail_dir, answer_after
        self._seq = itertools.count(1)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.answer_after:
            await asyncio.sleep(self.answer_after)
        body = envelope.original_content or b""
        if isinstance(body, str):
            body = body.encode("utf-8", "surrogateescape")
        peer = session.peer[0] if isinstance(session.peer, tuple) else str(session.peer)
        mail_from = envelope.mail_from or ""
        rcpt_tos = list(envelope.rcpt_tos)
        head = (f"X-Peer: {peer}\r\nX-MailFrom: {mail_from}\r\nX-RcptTo: {', '.join(rcpt_tos)}\r\n").encode(
            "utf-8", "surrogateescape"
        )
        name = self._file_name()
        try:
            await asyncio.to_thread(self._write_atomically, name, head + body)
        except OSError as exc:
            log.error("could not store mail from=%s to=%s: %s", mail_from, rcpt_tos, exc)
            return "451 Requested action aborted: local error in processing"
        log.info("stored %s from=%s to=%s bytes=%d", name, mail_from, ",".join(rcpt_tos), len(body))
        return "250 Message accepted for delivery"

    def _file_name(self) -> str:
        now = datetime.now(UTC)
        return f"{now:%Y%m%dT%H%M%S.%f}Z-{next(self._seq):06d}-{uuid.uuid4().hex[:12]}.eml"

    def _write_atomically(self, name: str, data: bytes) -> None:
        final = self.mail_dir / name
        tmp = self.mail_dir / f".{name}.tmp"
        try:
            with open(tmp, "xb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


def _accept_any_login(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: object
) -> AuthResult:
    return AuthResult(success=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Local SMTP sink writing .eml files.")
    parser.add_argument("--host", default=os.environ.get("HUBNET_SMTP_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("HUBNET_SMTP_PORT", "2525")))
    parser.add_argument("--mail-dir", type=Path, default=Path(os.environ.get("HUBNET_MAIL_DIR", ".local/mail")))
    parser.add_argument(
        "--answer-after", type=float, default=0.0, help="seconds before a message is stored and answered"
    )
    return parser.parse_args(argv)


async def serve(host: str, port: int, mail_dir: Path, answer_after: float = 0.0) -> None:
    handler = MailDirHandler(mail_dir, answer_after)

    def factory() -> SMTP:
        return SMTP(
            handler,
            hostname="mailsink.local",  # avoids a reverse DNS lookup per connection
            ident="hubnet mailsink",
            decode_data=False,
            enable_SMTPUTF8=True,
            authenticator=_accept_any_login,
            auth_require_tls=False,
        )

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    server = await loop.create_server(factory, host=host, port=port)
    log.info("listening on %s:%d, writing mails to %s (pid %d)", host, port, mail_dir, os.getpid())
    await stop.wait()
    log.info("stopping")
    server.close()
    try:
        await asyncio.wait_for(server.wait_closed(), timeout=5)
    except TimeoutError:
        pass


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # aiosmtpd warns about AUTH without TLS on every start; that is intended here.
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    mail_dir: Path = args.mail_dir.resolve()
    mail_dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(serve(args.host, args.port, mail_dir, args.answer_after))
    return 0


if __name__ == "__main__":
    sys.exit(main())
