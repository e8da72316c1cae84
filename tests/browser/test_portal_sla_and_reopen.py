"""A Stadsmissionen coach in Chromium sees that a referral is overdue, in working days, on her
worklist and its due dates on its page. The steps she takes carry her name in the history, and
she reopens a completed referral with a note that goes sealed. Every page has no axe-core finding."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from hubnet_common.ops.local.partners import LocalPartnerClient
from hubnet_common.sdk.messages import referral_commands as c
from hubnet_common.sdk.messages.vocabulary import MainActivity
from tests.browser import test_portal as journey
from tests.browser.test_portal import checked, log_in, refer_to_stadsmissionen, take
from tests.integration.conftest import rows
from tests.integration.referral_steps import accepted

pytestmark = pytest.mark.integration
network, page = journey.network, journey.page  # the fixtures of test_portal.py: a network of this module's own
NOTE = "Avslutades av misstag: Hodan har fortfarande inget arbete"


async def test_overdue_in_working_days_then_steps_with_her_name_and_a_sealed_reopening(network, page):
    kafka_bootstrap, dsns, address = network
    referral_id = await refer_to_stadsmissionen(kafka_bootstrap, dsns["referrals"])
    # As if it had been sent three weeks ago: the two working days to acknowledge it are long gone.
    await rows(
        dsns["referrals"], "UPDATE referrals SET requested_at = now() - interval '21 days' WHERE id = $1", referral_id
    )

    await log_in(page, address, "sm-maria")
    await page.get_by_role("link", name="Arbetslista").click()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=referral_id))
    await expect(row.locator(".sla.overdue")).to_contain_text("arbetsdagar försenad")
    await checked(page, "worklist-overdue")

    await row.get_by_role("link", name=referral_id).click()
    await expect(page.locator("dt", has_text="Kvittera senast")).to_be_visible()
    await expect(page.locator(".sla-due .overdue")).to_contain_text("arbetsdagar försenad")
    await take(page, "Bekräfta mottagandet", "Mottagen")
    await expect(page.locator("dt", has_text="Besvara senast")).to_be_visible()
    await expect(page.locator(".sla-due").first).to_contain_text("(missades)")
    history = page.get_by_role("table", name="Vad som hänt, äldst först").locator("tbody tr")
    await expect(history.last).to_contain_text("stadsmissionen (sm-maria)")
    await checked(page, "referral-due-dates")

    async with LocalPartnerClient(kafka_bootstrap, "stadsmissionen") as coach:  # her case system, say
        for step in (
            c.AcceptReferral(referral_id=referral_id),
            c.StartReferral(referral_id=referral_id),
            c.CompleteReferral(referral_id=referral_id, outcome=c.OutcomeReport(main_activity=MainActivity.WORK)),
        ):
            accepted(await coach.request(step))
    await page.reload()
    await expect(page.locator("#status")).to_have_text("Avslutad")
    await page.get_by_role("button", name="Öppna igen").click()  # without a note: the browser asks for one
    await expect(page.locator("#status")).to_have_text("Avslutad")
    await page.get_by_label("Varför (skickas förseglat med invånarens nyckel)").fill(NOTE)
    await checked(page, "referral-reopen")
    await take(page, "Öppna igen", "Pågår")
    await expect(history.last).to_contain_text("stadsmissionen (sm-maria)")
    [kept] = await rows(
        dsns["referrals"],
        "SELECT note, noted_by FROM referral_history WHERE referral_id = $1 AND action = 'reopen'",
        referral_id,
    )
    assert kept["noted_by"] == "sm-maria" and kept["note"] and NOTE not in kept["note"]
    await checked(page, "referral-reopened")
