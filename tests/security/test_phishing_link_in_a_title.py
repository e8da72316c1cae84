"""Attack: a partner puts a link in the free text of a hub event ("Anmäl dig på https://…"), and
hubnet mails it to every hub host as a clickable link, under hubnet's name. Only the links hubnet
makes itself are clickable; what a partner wrote stays text."""

import email
import email.policy
from datetime import UTC, datetime, timedelta

from hubnet_common.ops.local.mail import wait_for_mail
from hubnet_common.ops.local.partners import LocalPartnerClient
from hubnet_common.sdk.messages.hubevent_commands import ScheduleHubEvent
from tests.integration.conftest import until
from tests.integration.referral_steps import accepted

BAIT = "https://hubnet-login.example/bergsjon"


async def test_a_link_in_a_hub_event_title_is_not_made_clickable(network, kafka_bootstrap, mail_sink):
    _, mail_dir = mail_sink
    _, events_dsn, notifications_dsn = network
    for dsn in (events_dsn, notifications_dsn):  # the hub is in both directory copies before we schedule
        await until(dsn, "SELECT 1 FROM known_hubs WHERE id = 'bergsjon'")
        await until(dsn, "SELECT 1 FROM known_partners WHERE id = 'familjebostader'")
    starts = datetime.now(UTC) + timedelta(days=4)
    title = f"Gratis jobbcoachning, anmäl dig på {BAIT}"
    event = ScheduleHubEvent(
        hub_id="bergsjon",
        kind="pop-up",
        title=title,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        capacity=10,
    )
    async with LocalPartnerClient(kafka_bootstrap, "familjebostader") as organiser:
        accepted(await organiser.request(event))
    kept = await wait_for_mail(mail_dir, "Gratis jobbcoachning")
    message = email.message_from_bytes(kept.path.read_bytes(), policy=email.policy.default)
    html = message.get_body(preferencelist=("html",)).get_content()
    assert BAIT in html  # the words are there, as text
    assert f'href="{BAIT}' not in html
    assert 'href="http' in html  # hubnet's own link to the event still is a link
