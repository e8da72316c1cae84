"""A manager follows up, staff change their settings and a resident is forgotten, in Chromium on
the real stack (Keycloak, Kafka, PostgreSQL, the three services over HTTP, two partners' portals):

- BRG's manager Lena sees referrals per hub, organisation and month as charts beside their tables,
  a cell of fewer than five referrals shown "<5" as the referrals service's /report gives it and
  left out of its chart; her colleague Sara, no manager, gets a plain 403 page.
- Stadsmissionen's coach Ali turns his portal and mails to Swedish and a daily digest, subscribes
  to new referrals and unsubscribes; Lena registers a webhook for BRG's system and sees its secret
  once.
- Maria forgets a resident from the resident's referral page: a confirmation step, a number that
  is not theirs refused in words, then the answer in plain words; the details no longer open.

Every page visited has no axe-core findings and no Content-Security-Policy refusal; the
screenshots are the README's."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from hubnet_common.ops.local.partners import LocalPartnerClient
from hubnet_common.sdk.messages.vocabulary import Purpose
from hubnet_common.sdk.sealing import ContactDetails
from tests.browser.conftest import portal_of
from tests.browser.test_portal import WAIT, checked, log_in, refer_to_stadsmissionen
from tests.browser.test_portal import page as page  # the same page fixture, re-exported
from tests.integration.conftest import rows
from tests.integration.network import three_served
from tests.integration.referral_steps import (
    accepted,
    consent,
    key_known_to_notifications,
    person,
    publish_encryption_key,
    ref_of,
    referral,
)

pytestmark = pytest.mark.integration
FORGOTTEN = person(900)
SOMEONE_ELSE = person(901)


@pytest.fixture(scope="module")
async def network(new_database, kafka_bootstrap, mail_sink):
    """Six referrals to BRG and two to Stadsmissionen, all at Hjällbo this month."""
    async with three_served(new_database, kafka_bootstrap, mail_sink[0], "portal-more") as (dsns, urls):
        async with LocalPartnerClient(kafka_bootstrap, "bostadsbolaget") as sender:
            for n, service in enumerate(["brg-business-coaching"] * 6 + ["stadsmissionen-job-coaching"] * 2):
                brg = service.startswith("brg")
                given = consent(
                    person(n + 1),
                    partners=("brg" if brg else "stadsmissionen",),
                    purposes=(Purpose.OWN_BUSINESS if brg else Purpose.WORK,),
                )
                recorded = await sender.request(given)
                accepted(recorded)
                command = referral(
                    given.consent_id,
                    participant_ref=recorded.participant_ref,
                    service_id=service,
                    purpose=Purpose.OWN_BUSINESS if brg else Purpose.WORK,
                )
                accepted(await sender.request(command))
        async with portal_of("brg", urls) as brg, portal_of("stadsmissionen", urls) as stadsmissionen:
            yield kafka_bootstrap, dsns, {"brg": brg, "stadsmissionen": stadsmissionen}


async def test_a_manager_follows_up_and_a_colleague_is_turned_away(network, page, browser):
    _kafka, _dsns, portals = network
    await log_in(page, portals["brg"], "brg-lena")
    await page.get_by_role("link", name="Uppföljning").click()
    await expect(page.get_by_role("heading", name="Uppföljning", level=1)).to_be_visible()
    by_partner = page.get_by_role("table", name="Remisser per mottagande organisation och månad")
    await expect(by_partner.locator("tbody tr")).to_have_count(2)
    await expect(by_partner.locator("tbody tr").first).to_contain_text("brg")
    await expect(by_partner.locator("tbody tr").first.locator("td.figure").first).to_have_text("6")
    # A total counts the suppressed cell as 0 and says one cell was left out.
    stadsmissionen = by_partner.locator("tbody tr").last.locator("td.figure")
    await expect(stadsmissionen.first).to_have_text("0")
    await expect(stadsmissionen.last).to_have_text("1")
    cells = page.get_by_role("table", name="Remisser per hubb, organisation, insats och månad")
    await expect(cells.locator("tbody tr").last.locator("td.figure").first).to_have_text("<5")
    by_hub = page.get_by_role("table", name="Remisser per hubb och månad")
    await expect(by_hub.locator("tbody tr td.figure").first).to_have_text("6")  # the shown cells' sum
    charted = "id => Chart.getChart(document.getElementById(id)).data.datasets[0].data"
    assert await page.evaluate(charted, "cells-chart") == [6, None]  # suppressed: not drawn, not guessed
    assert await page.evaluate(charted, "by-partner-chart") == [6, 0]
    assert await page.evaluate(charted, "by-hub-chart") == [6]
    await checked(page, "follow-up")

    context = await browser.new_context(locale="sv-SE")
    other = await context.new_page()
    other.refusals = []  # type: ignore[attr-defined]
    other.on("console", lambda m: other.refusals.append(m.text) if "Content Security Policy" in m.text else None)
    await log_in(other, portals["brg"], "brg-sara")
    await expect(other.get_by_role("link", name="Uppföljning")).to_have_count(0)
    answer = await other.goto(f"{portals['brg']}/follow-up")
    assert answer is not None and answer.status == 403
    await expect(other.locator("#forbidden")).to_have_text(
        "Uppföljningen är för chefer. Be din organisation om chefsrollen."
    )
    await expect(other.locator("table")).to_have_count(0)
    await checked(other, "follow-up-forbidden")
    await context.close()


async def test_a_coach_chooses_swedish_a_daily_digest_and_a_subscription(network, page):
    _kafka, dsns, portals = network
    await log_in(page, portals["stadsmissionen"], "sm-ali")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await page.get_by_role("link", name="Settings").click()
    await expect(page.get_by_label("English")).to_be_checked()
    await expect(page.get_by_role("heading", name="Your organisation's webhooks")).to_have_count(0)  # no manager
    await page.get_by_label("Svenska").check()
    await page.get_by_label("One mail a day (digest)").check()
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("status")).to_have_text("Dina inställningar är sparade.", timeout=WAIT)
    await expect(page.locator("html")).to_have_attribute("lang", "sv")
    await expect(page.get_by_label("Ett mejl om dagen (sammanfattning)")).to_be_checked()
    stored = await rows(dsns["notifications"], "SELECT language, delivery FROM staff WHERE id = 'sm-ali'")
    assert [tuple(r) for r in stored] == [("sv", "digest")]

    await page.get_by_label("Vad du vill få besked om").select_option(label="Nya remisser")
    await page.get_by_label("Bara vid den här hubben (valfritt)").fill("hjallbo")
    await page.get_by_role("button", name="Prenumerera", exact=True).click()
    await expect(page.get_by_role("status")).to_have_text("Prenumerationen är lagd.", timeout=WAIT)
    subscriptions = page.get_by_role("table", name="Dina prenumerationer")
    await expect(subscriptions.locator("tbody tr")).to_have_count(1)
    await expect(subscriptions.locator("tbody tr td").first).to_have_text("Nya remisser")
    await expect(subscriptions.locator("tbody tr td").nth(1)).to_have_text("hjallbo")
    await checked(page, "settings")
    await subscriptions.get_by_role("button").click()
    await expect(page.get_by_role("status")).to_have_text("Prenumerationen är borttagen.", timeout=WAIT)
    await expect(page.locator("#no-subscriptions")).to_be_visible()
    assert await rows(dsns["notifications"], "SELECT id FROM subscriptions WHERE staff_id = 'sm-ali'") == []


async def test_a_manager_registers_a_webhook_and_sees_its_secret_once(network, page):
    kafka_bootstrap, dsns, portals = network
    async with LocalPartnerClient(kafka_bootstrap, "brg") as brg:
        await publish_encryption_key(brg, "brg")
    await key_known_to_notifications(dsns["notifications"], "brg")
    await log_in(page, portals["brg"], "brg-lena")
    await page.get_by_role("link", name="Inställningar").click()
    await expect(page.locator("#no-webhooks")).to_be_visible()
    await page.get_by_label("Namn (bokstäver, siffror och bindestreck)").fill("brg-crm")
    await page.get_by_label("Adress (https)").fill("https://crm.brg.example/hubnet")
    await page.locator("#webhook-kind").select_option(label="Allt om remisser")
    await page.get_by_role("button", name="Registrera webhooken").click()
    secret = page.locator("#webhook-secret")
    await expect(secret).to_be_visible(timeout=WAIT)
    shown = (await secret.text_content() or "").strip()
    assert len(shown) >= 32 and not shown.startswith("sealed:")
    await expect(page.get_by_role("table", name="Webhooks i bruk")).to_contain_text("https://crm.brg.example/hubnet")
    await checked(page, "webhook-secret")
    stored = await rows(dsns["notifications"], "SELECT sealed_secret FROM webhook_endpoints WHERE id = 'brg-crm'")
    assert shown not in stored[0][0]  # kept sealed there

    await page.get_by_role("link", name="Inställningar").click()
    await expect(page.locator("#webhook-secret")).to_have_count(0)  # once only
    assert shown not in await page.content()
    await page.get_by_role("button", name="Ta bort: brg-crm").click()
    await expect(page.get_by_role("status")).to_have_text("Webhooken är borttagen.", timeout=WAIT)
    await expect(page.locator("#no-webhooks")).to_be_visible()


async def refer_the_resident(kafka_bootstrap: str, referrals_dsn: str) -> str:
    contact = ContactDetails(name="Samira Glömd", phone="070-999 88 77")
    return await refer_to_stadsmissionen(kafka_bootstrap, referrals_dsn, FORGOTTEN, contact, "Vill bli busschaufför")


async def test_a_resident_is_forgotten_from_their_referral_page(network, page):
    kafka_bootstrap, dsns, portals = network
    referral_id = await refer_the_resident(kafka_bootstrap, dsns["referrals"])
    address = portals["stadsmissionen"]
    await log_in(page, address, "sm-maria")
    await page.goto(f"{address}/referrals/{referral_id}")
    await page.get_by_role("link", name="Invånaren ber om att bli glömd…").click()
    await expect(page.get_by_role("heading", name="Glöm invånaren", level=1)).to_be_visible()
    number = page.get_by_label("Invånarens personnummer (eller samordningsnummer)")
    await number.fill(SOMEONE_ELSE)
    await page.get_by_label("Invånaren har bett om att bli glömd, och jag har berättat vad det innebär.").check()
    await checked(page, "erasure-confirm")
    await page.get_by_role("button", name="Glöm invånaren").click()
    await expect(page.get_by_role("status")).to_have_text(
        "Personnumret är inte den här invånarens. Inget raderades.", timeout=WAIT
    )
    kept = "SELECT 1 FROM data_key_copies WHERE participant_ref = $1 AND holder = 'stadsmissionen'"
    assert await rows(dsns["referrals"], kept, ref_of(FORGOTTEN))  # nothing erased

    await number.fill(FORGOTTEN)
    await page.get_by_label("Invånaren har bett om att bli glömd, och jag har berättat vad det innebär.").check()
    await page.get_by_role("button", name="Glöm invånaren").click()
    answer = page.get_by_role("status")
    await expect(answer).to_contain_text("Invånaren är glömd.", timeout=WAIT)
    await expect(page.get_by_role("button", name="Glöm invånaren")).to_have_count(0)  # done: no form again
    assert FORGOTTEN not in await page.content()
    await checked(page, "erasure-done")

    await page.get_by_role("link", name=f"Tillbaka till remissen {referral_id}").click()
    await page.get_by_role("button", name="Visa kontaktuppgifter och behov").click()
    await expect(page.locator("#resident-trouble")).to_be_visible(timeout=WAIT)
    await expect(page.get_by_text("Samira Glömd")).to_have_count(0)
