"""The SMTP server of `make bench`, in a process of its own so that the load generator's work
neither delays it nor its clock: accepts every mail and prints, per mail, the referral it is
about and when it was accepted (`time.time()`), then `-` when it names none."""

from __future__ import annotations

import re
import sys
import threading
import time

from aiosmtpd.controller import Controller

REFERRAL = re.compile(rb"R-[a-z]-[0-9a-f]+")


class Accept:
    async def handle_DATA(self, server, session, envelope) -> str:
        found = REFERRAL.search(envelope.original_content or b"")
        print(f"{found.group().decode() if found else '-'} {time.time():.6f}", flush=True)
        return "250 OK"


def main() -> None:
    server = Controller(Accept(), hostname="127.0.0.1", port=int(sys.argv[1]))
    server.start()
    print("ready", flush=True)
    threading.Event().wait()  # until terminated


if __name__ == "__main__":
    main()
