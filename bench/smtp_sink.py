"""The SMTP server of `make bench` and `make faults`, in a process of its own so that the load
generator's work neither delays it nor its clock. It accepts every mail and prints, per mail, the
referral it is about (`-` when it names none), its Message-ID and when it was accepted
(`time.time()`). `SinkProcess` starts it, stops it, starts it again on the same port, and reads
what it printed."""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import re
import sys
import threading
import time
from collections import Counter

from aiosmtpd.controller import Controller

REFERRAL = re.compile(r"R-[a-z]-[0-9a-f]+")
MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)
HEADERS = email.parser.BytesHeaderParser(policy=email.policy.default)


def about(content: bytes) -> str:
    """The referral a mail's subject names (it is in RFC 2047 words; the body's lines are
    quoted-printable and may break an id), or `-`."""
    found = REFERRAL.search(str(HEADERS.parsebytes(content).get("Subject", "")))
    return found.group() if found else "-"


class Accept:
    async def handle_DATA(self, server, session, envelope) -> str:
        content = envelope.original_content or b""
        message_id = MESSAGE_ID.search(content)
        print(f"{about(content)} {message_id.group(1).decode() if message_id else '-'} {time.time():.6f}", flush=True)
        return "250 OK"


class SinkProcess:
    """The server as a child process: `by_id` counts mails per Message-ID, `first_at` and
    `first_about` keep when the first mail of each Message-ID and of each referral was accepted."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.by_id: Counter[str] = Counter()
        self.first_at: dict[str, float] = {}
        self.first_about: dict[str, float] = {}
        self.mails = 0
        self._process: asyncio.subprocess.Process | None = None
        self._reading: asyncio.Task | None = None

    async def start(self) -> None:
        self._process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.smtp_sink", str(self.port), stdout=asyncio.subprocess.PIPE
        )
        if (await self._process.stdout.readline()).strip() != b"ready":
            raise RuntimeError("the SMTP sink did not start")
        self._reading = asyncio.create_task(self._read(self._process))

    async def _read(self, process: asyncio.subprocess.Process) -> None:
        async for line in process.stdout:
            referral, message_id, at = line.decode().split()
            self.mails += 1
            self.by_id[message_id] += 1
            self.first_at.setdefault(message_id, float(at))
            if referral != "-":
                self.first_about.setdefault(referral, float(at))

    @property
    def pid(self) -> int:
        if self._process is None:
            raise RuntimeError("the SMTP sink has not started")
        return self._process.pid

    async def stop(self) -> None:
        """Stop it; what it printed until then is read first."""
        if self._process is None:
            return
        process, self._process = self._process, None
        process.terminate()
        await process.wait()
        await self._reading

    def doubled(self) -> list[str]:
        return [message_id for message_id, n in self.by_id.items() if n > 1]


def main() -> None:
    server = Controller(Accept(), hostname="127.0.0.1", port=int(sys.argv[1]))
    server.start()
    print("ready", flush=True)
    threading.Event().wait()  # until terminated


if __name__ == "__main__":
    main()
