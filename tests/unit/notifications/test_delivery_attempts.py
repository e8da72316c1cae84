"""A delivery that keeps failing for a transient reason (README.md, "Transient failures … are
retried with exponential backoff and jitter, up to 8 attempts"): each retry waits longer than the
one before, no wait grows past the cap, and the 8th failure gives the notification up."""

import itertools
from datetime import UTC, datetime, timedelta

from hubnet_notifications.domain.notification import Notification, next_attempt

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
CAP = timedelta(minutes=10)
JITTER = 0.2  # the docstring of next_attempt: "with jitter", a fifth either way


def a_mail() -> Notification:
    return Notification(
        id="n-1",
        source_id="f-1",
        source_type="se.hubnet.referral.requested.v1",
        recipient_id="brg-sara",
        channel="email",
        subject="Ny remiss",
        body="…",
        link="https://x",
    )


def test_each_retry_waits_longer_than_the_one_before_and_the_eighth_failure_gives_up():
    mail, waits = a_mail(), []
    while (retry_at := mail.failed_attempt(NOW)) is not None:
        assert mail.status == "pending"  # still to be tried again
        waits.append(retry_at - NOW)
    assert mail.status == "failed" and mail.attempts == 8
    assert len(waits) == 7  # tried 8 times in all: the first try and 7 retries
    assert all(timedelta(0) < wait for wait in waits)
    assert all(earlier < later for earlier, later in itertools.pairwise(waits))  # jitter never undoes the growth


def test_a_failure_after_giving_up_is_not_retried_either():
    mail = a_mail()
    for _ in range(8):
        mail.failed_attempt(NOW)
    assert mail.failed_attempt(NOW) is None and mail.status == "failed"


def test_the_wait_between_retries_is_capped():
    waits = [next_attempt(attempts, NOW) - NOW for attempts in (9, 10, 12, 16, 20)]
    assert all(wait <= CAP * (1 + JITTER) for wait in waits)
    assert max(waits) >= CAP * (1 - JITTER)  # the cap is reached, not just some smaller wait


def test_retries_of_mails_that_failed_together_are_spread_out():
    """Jitter: a hundred mails refused in the same second by a mail server that is down do not
    all come back to it in the same instant."""
    retries = set()
    for n in range(100):
        mail = a_mail()
        mail.id = f"n-{n}"
        retries.add(mail.failed_attempt(NOW))
    assert len(retries) > 50
