"""What a failed delivery tells outward: only a reason code, in the stored record (`last_error`,
read by `/deliveries/failed`) and in `notification.failed`; the receiver's words, which name
addresses and hosts, never (handlers/deliver.py record_failure)."""

import json

import pytest
from pydantic import ValidationError

from hubnet_common.sdk.messages.notification_events import FailureReason, NotificationFailed
from hubnet_notifications.adapters.mailer import MailNotSent, MailRejected
from hubnet_notifications.adapters.webhook import WebhookRejected
from hubnet_notifications.domain.notification import Notification
from hubnet_notifications.handlers.deliver import record_failure
from tests.unit.common.fakes.notifications import FakeNotificationsUnitOfWork

REPLY = "550 5.1.1 <sara@brg.test>: user unknown in mx1.brg.internal"


def a_mail(channel: str = "email") -> Notification:
    return Notification(
        id="n-1",
        source_id="f-1",
        source_type="se.hubnet.referral.requested.v1",
        recipient_id="brg-sara",
        channel=channel,
        subject="Ny remiss",
        body="…",
        link="https://hubnet.test/referrals/R-1",
    )


async def failed(outcome: BaseException, channel: str = "email", *, attempts_before: int = 0):
    """(last_error, the notification.failed bodies published) after one more attempt failing with `outcome`."""
    uow = FakeNotificationsUnitOfWork()
    async with uow:
        await uow.notifications.add_all([a_mail(channel)])
        await uow.commit()
    mail = a_mail(channel)
    mail.attempts = attempts_before
    async with uow:
        await record_failure(uow, mail, outcome)
        await uow.commit()
    return uow.notifications.rows["n-1"].last_error, [json.loads(o.body) for o in uow.committed]


async def test_a_refused_mail_records_and_publishes_its_code_and_not_the_servers_reply():
    last_error, [fact] = await failed(MailRejected(REPLY))
    assert last_error == fact["reason"] == "smtp-refused"
    assert "sara@brg.test" not in json.dumps(fact) and "mx1" not in json.dumps(fact)


@pytest.mark.parametrize(
    ("outcome", "code"),
    [
        (MailNotSent("451 4.7.1 <sara@brg.test> greylisted", FailureReason.SMTP_DEFERRED), "smtp-deferred"),
        (MailNotSent("ConnectionRefusedError('mx1.brg.internal:25')"), "smtp-unreachable"),
        (KeyError("sara@brg.test"), "delivery-error"),  # not a channel's failure: nothing of it is told
    ],
)
async def test_a_transient_failure_keeps_only_its_code_while_it_is_retried(outcome, code):
    last_error, facts = await failed(outcome)
    assert (last_error, facts) == (code, [])


async def test_the_last_attempt_publishes_the_code_of_its_failure():
    last_error, [fact] = await failed(MailNotSent("timeout talking to mx1"), attempts_before=7)
    assert last_error == fact["reason"] == "smtp-unreachable" and fact["attempts"] == 8


async def test_a_webhook_refused_for_its_address_says_so_without_the_url():
    outcome = WebhookRejected("address not allowed", FailureReason.ADDRESS_NOT_ALLOWED)
    last_error, [fact] = await failed(outcome, "webhook")
    assert last_error == fact["reason"] == "address-not-allowed"


def test_the_fact_takes_a_reason_code_and_nothing_else():
    fields = dict(
        notification_id="n-1",
        source_id="f-1",
        source_type="t",
        recipient_id="brg-sara",
        channel="email",
        attempts=1,
    )
    assert NotificationFailed(**fields, reason="smtp-refused").reason is FailureReason.SMTP_REFUSED
    with pytest.raises(ValidationError):
        NotificationFailed(**fields, reason=f"refused: {REPLY}")
