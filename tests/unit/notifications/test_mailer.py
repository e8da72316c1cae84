"""The SMTP mailer against a real SMTP server in this process (aiosmtpd): mails arrive whole and
readable, over kept sessions, and a session the server ended is replaced without losing a mail."""

import asyncio
import email
import email.policy
import threading

import pytest
from aiosmtpd.controller import Controller

from hubnet_notifications.adapters.mailer import MailRejected, SmtpMailer, encoded_words
from hubnet_notifications.domain.wording import Wording
from tests.conftest import free_port


class Kept:
    def __init__(self) -> None:
        self.mails: list[tuple[tuple, bytes]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.mails.append((session.peer, envelope.original_content))
        return "250 OK"


def wording(n: int) -> Wording:
    return Wording(
        f"Ny remiss till BRG – Hjällbo (R-{n})", f"En ny remiss väntar.\n\nhttps://hubnet.test/referrals/R-{n}\n"
    )


async def test_mails_arrive_readable_over_one_kept_session():
    kept, port = Kept(), free_port()
    server = Controller(kept, hostname="127.0.0.1", port=port)
    server.start()
    try:
        mailer = SmtpMailer(
            "127.0.0.1", port, sender="hubnet@goteborg.example", sessions=1, links_under="https://hubnet.test"
        )
        for n in range(3):
            await mailer.send("sara.nilsson@brg.example.org", wording(n), message_id=f"m-{n}")
    finally:
        server.stop()
    assert len({peer for peer, _ in kept.mails}) == 1  # one connection for all three
    mail = email.message_from_bytes(kept.mails[2][1], policy=email.policy.default)
    assert str(mail["Subject"]) == "Ny remiss till BRG – Hjällbo (R-2)"
    assert (str(mail["To"]), str(mail["Message-ID"])) == ("sara.nilsson@brg.example.org", "<m-2@hubnet>")
    assert "En ny remiss väntar." in mail.get_body(preferencelist=("plain",)).get_content()
    assert 'href="https://hubnet.test/referrals/R-2"' in mail.get_body(preferencelist=("html",)).get_content()


async def test_a_session_the_server_ended_is_replaced_and_the_mail_still_sent():
    kept, port = Kept(), free_port()
    mailer = SmtpMailer(
        "127.0.0.1", port, sender="hubnet@goteborg.example", sessions=1, links_under="https://hubnet.test"
    )
    for n in range(2):  # the server restarts between the mails, ending the kept session
        server = Controller(kept, hostname="127.0.0.1", port=port)
        server.start()
        try:
            await mailer.send("sara.nilsson@brg.example.org", wording(n), message_id=f"m-{n}")
        finally:
            server.stop()
    assert [b"R-0" in content for _, content in kept.mails] == [True, False]
    assert len(kept.mails) == 2


async def test_an_address_that_could_break_the_headers_is_refused_for_good():
    mailer = SmtpMailer("127.0.0.1", free_port(), sender="hubnet@goteborg.example", links_under="https://hubnet.test")
    with pytest.raises(MailRejected):
        await mailer.send("sara@brg.example.org\r\nBcc: everyone@example.org", wording(1), message_id="m-1")


class Holding:
    """Takes each mail, but answers only once `answer` is set; `took` counts mails it has read."""

    def __init__(self, reply: str = "250 OK") -> None:
        self.reply, self.took = reply, 0
        self.answer = threading.Event()

    async def handle_DATA(self, server, session, envelope) -> str:
        self.took += 1
        while not self.answer.is_set():
            await asyncio.sleep(0.01)
        return self.reply


async def test_a_mail_is_handed_over_once_its_last_byte_is_out_and_before_the_answer():
    holding, port = Holding(), free_port()
    server = Controller(holding, hostname="127.0.0.1", port=port)
    server.start()
    handed: list[int] = []

    async def handed_over() -> None:
        handed.append(holding.took)

    try:
        mailer = SmtpMailer(
            "127.0.0.1", port, sender="hubnet@goteborg.example", sessions=1, links_under="https://hubnet.test"
        )
        sending = asyncio.create_task(
            mailer.send("sara.nilsson@brg.example.org", wording(1), message_id="m-1", handed_over=handed_over)
        )
        while not handed or not holding.took:  # the server has the whole mail and has not answered
            await asyncio.sleep(0.01)
        assert not sending.done() and len(handed) == 1
        holding.answer.set()
        await sending
        await mailer.send("sara.nilsson@brg.example.org", wording(2), message_id="m-2")  # no handover asked
    finally:
        holding.answer.set()
        server.stop()
    assert len(handed) == 1 and holding.took == 2


async def test_a_mail_refused_after_its_last_byte_was_handed_over_is_still_refused():
    holding, port = Holding(reply="554 5.6.0 message refused"), free_port()
    holding.answer.set()
    server = Controller(holding, hostname="127.0.0.1", port=port)
    server.start()
    handed: list[str] = []

    async def handed_over() -> None:
        handed.append("m-1")

    try:
        mailer = SmtpMailer(
            "127.0.0.1", port, sender="hubnet@goteborg.example", sessions=1, links_under="https://hubnet.test"
        )
        with pytest.raises(MailRejected):
            await mailer.send("sara.nilsson@brg.example.org", wording(1), message_id="m-1", handed_over=handed_over)
    finally:
        server.stop()
    assert handed == ["m-1"]  # the handler takes it back (handlers/deliver.py)


@pytest.mark.parametrize(
    "subject",
    [
        "Ny remiss R-1",
        "Ny remiss till Göteborgs Stadsmission – Tynnered/Frölunda torg, Företagsrådgivning för unga (R-0190)",
        "ق" * 70 + " 👩🏽‍💼 emoji and Arabic",
        "Subject: forged\r\nBcc: someone@else.example",
        "=?utf-8?q?looks_encoded?=",
    ],
)
def test_a_subject_reads_back_as_written_and_no_line_is_too_long(subject):
    header = f"Subject: {encoded_words(subject)}"
    assert all(len(line) <= 76 for line in header.split("\r\n"))
    assert header.isascii() and "\n" not in header.replace("\r\n ", "")  # folded, never a new header
    mail = email.message_from_bytes(f"{header}\r\n\r\nbody".encode(), policy=email.policy.default)
    assert str(mail["Subject"]) == subject
