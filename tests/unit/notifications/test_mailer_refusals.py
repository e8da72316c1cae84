"""What the SMTP mailer makes of a mail server's refusals, against a real SMTP server in this
process (aiosmtpd). README.md: permanent failures (5xx from SMTP) are recorded as failed, transient
ones are retried. A 5xx is raised as MailRejected (refused for good, the delivery worker does not
try again); a 4xx is anything else, so the worker tries again, and the next try gets through."""

import pytest
from aiosmtpd.controller import Controller

from hubnet_notifications.adapters.mailer import MailRejected, SmtpMailer
from hubnet_notifications.domain.wording import Wording
from tests.conftest import free_port

TO = "sara.nilsson@brg.example.org"


class Answering:
    """Answers RCPT or DATA with the reply queued for it (once each), then accepts."""

    def __init__(self, *, rcpt: list[str] = (), data: list[str] = ()) -> None:
        self.rcpt, self.data = list(rcpt), list(data)
        self.accepted: list[bytes] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if self.rcpt:
            return self.rcpt.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.data:
            return self.data.pop(0)
        self.accepted.append(envelope.original_content)
        return "250 OK"


@pytest.fixture
def smtp():
    servers = []

    def serve(handler: Answering) -> SmtpMailer:
        port = free_port()
        server = Controller(handler, hostname="127.0.0.1", port=port)
        server.start()
        servers.append(server)
        return SmtpMailer(
            "127.0.0.1", port, sender="hubnet@goteborg.example", sessions=1, links_under="https://hubnet.test"
        )

    yield serve
    for server in servers:
        server.stop()


def wording() -> Wording:
    return Wording("Ny remiss (R-1)", "En ny remiss väntar.\n")


@pytest.mark.parametrize(
    "answers",
    [
        {"rcpt": ["550 5.1.1 No such user here"]},
        {"rcpt": ["553 5.1.3 Bad recipient address syntax"]},
        {"data": ["554 5.7.1 Message refused as spam"]},
    ],
    ids=["550-at-rcpt", "553-at-rcpt", "554-at-data"],
)
async def test_a_5xx_refuses_the_mail_for_good(smtp, answers):
    handler = Answering(**answers)
    mailer = smtp(handler)
    with pytest.raises(MailRejected, match="5.."):
        await mailer.send(TO, wording(), message_id="m-1")
    assert handler.accepted == []


@pytest.mark.parametrize(
    "answers",
    [
        {"rcpt": ["451 4.7.1 Greylisted, try again later"]},
        {"rcpt": ["452 4.2.2 Mailbox full"]},
        {"data": ["451 4.3.0 Local error in processing"]},
    ],
    ids=["451-at-rcpt", "452-at-rcpt", "451-at-data"],
)
async def test_a_4xx_is_transient_and_the_next_try_gets_the_mail_through(smtp, answers):
    handler = Answering(**answers)
    mailer = smtp(handler)
    with pytest.raises(Exception) as first:
        await mailer.send(TO, wording(), message_id="m-1")
    assert not isinstance(first.value, MailRejected)  # so the delivery worker tries again
    await mailer.send(TO, wording(), message_id="m-1")
    assert len(handler.accepted) == 1 and b"Message-ID: <m-1@hubnet>" in handler.accepted[0]
