"""A Stadsmissionen job coach works a referral in her organisation's staff portal, in Chromium:
she logs in on Keycloak's own login page, sees Bostadsbolaget's referral arrive in her inbox
without reloading, finds it in her worklist, opens the resident's contact details and need with
her organisation's copy of the data key, is told in words when a step cannot be taken, and
acknowledges, accepts, starts and completes it with an outcome. Every page of the portal she
visits has no axe-core findings and runs under its Content-Security-Policy without one refusal;
the screenshots are the README's."""

from __future__ import annotations

import os
import re

import pytest
from playwright.async_api import expect

from hubnet_common.ops.local.identities import local_secret
from hubnet_common.ops.local.partners import LocalPartnerClient
from hubnet_common.sdk.messages.vocabulary import Purpose
from hubnet_common.sdk.sealing import ContactDetails, seal_with_data_key
from tests.browser.conftest import SCREENSHOTS, axe_findings, portal_of
from tests.integration.conftest import rows
from tests.integration.network import three_served
from tests.integration.referral_steps import (
    NUMBER,
    accepted,
    consent,
    data_key_of,
    publish_encryption_key,
    referral,
)

pytestmark = pytest.mark.integration
WAIT = 30_000  # ms: how long the browser waits for what should appear (not a speed requirement)
CONTACT = ContactDetails(name="Hodan Ali", phone="070-111 22 33", language="so")
NEED = "Vill arbeta inom vården; har undersköterskeutbildning från Somalia"


@pytest.fixture(scope="module")
async def network(new_database, kafka_bootstrap, mail_sink):
    async with three_served(new_database, kafka_bootstrap, mail_sink[0], "portal") as (dsns, urls):
        async with portal_of("stadsmissionen", urls) as address:
            yield kafka_bootstrap, dsns, address


@pytest.fixture
async def page(browser):
    context = await browser.new_context(locale="sv-SE")
    page = await context.new_page()
    refusals: list[str] = []
    page.on("console", lambda m: refusals.append(m.text) if "Content Security Policy" in m.text else None)
    page.refusals = refusals  # type: ignore[attr-defined]
    yield page
    await context.close()


async def checked(page, name: str) -> None:
    """No axe finding and no refused script or style on the page; its screenshot saved for the
    README when asked (`make screenshots`), so that a test run leaves the tree as it was."""
    assert await axe_findings(page) == [], f"axe on {name}"
    assert page.refusals == [], f"the Content-Security-Policy refused something on {name}"
    if os.environ.get("HUBNET_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=SCREENSHOTS / f"portal-{name}.png", full_page=True)


async def log_in(page, address: str, username: str) -> None:
    await page.goto(f"{address}/inbox")
    await expect(page.locator("#kc-form-login")).to_be_visible(timeout=WAIT)  # Keycloak's own page
    await page.fill("#username", username)
    await page.fill("#password", local_secret(username))
    await page.click("#kc-login")
    await expect(page).to_have_url(f"{address}/inbox", timeout=WAIT)


async def refer_to_stadsmissionen(
    kafka_bootstrap: str,
    referrals_dsn: str,
    number: str = NUMBER,
    contact: ContactDetails = CONTACT,
    need: str = NEED,
) -> str:
    """Bostadsbolaget's referral of the resident with `number`, its contact details and need sealed
    under the resident's data key (both partners' encryption keys published first, so the consent
    gives each its copy)."""
    async with (
        LocalPartnerClient(kafka_bootstrap, "bostadsbolaget") as sender,
        LocalPartnerClient(kafka_bootstrap, "stadsmissionen") as receiver,
    ):
        await publish_encryption_key(sender, "bostadsbolaget")
        await publish_encryption_key(receiver, "stadsmissionen")
        given = consent(number, partners=("stadsmissionen",), purposes=(Purpose.WORK,))
        recorded = await sender.request(given)
        accepted(recorded)
        key = await data_key_of(referrals_dsn, recorded.participant_ref, "bostadsbolaget")
        command = referral(
            given.consent_id,
            participant_ref=recorded.participant_ref,
            service_id="stadsmissionen-job-coaching",
            purpose=Purpose.WORK,
            sealed_contact=seal_with_data_key(contact, key),
            need=seal_with_data_key(need, key),
        )
        accepted(await sender.request(command))
    return command.referral_id


async def take(page, button: str, status: str) -> None:
    await page.get_by_role("button", name=button).click()
    await expect(page.locator("#status")).to_have_text(status, timeout=WAIT)
    await expect(page.get_by_role("status")).to_have_text("Klart.")


async def test_a_coach_works_a_referral_from_her_inbox_to_its_outcome(network, page):
    kafka_bootstrap, dsns, address = network
    await log_in(page, address, "sm-maria")
    await expect(page.get_by_role("heading", name="Inkorg", level=1)).to_be_visible()
    await expect(page.locator("html")).to_have_attribute("lang", "sv")

    referral_id = await refer_to_stadsmissionen(kafka_bootstrap, dsns["referrals"])
    entry = page.get_by_role("link", name=re.compile(re.escape(referral_id)))
    await expect(entry).to_be_visible(timeout=WAIT)  # polled in, never reloaded
    await checked(page, "inbox")

    await page.get_by_role("link", name="Arbetslista").click()
    await expect(page.get_by_role("table", name="Skickad (1)").get_by_role("link", name=referral_id)).to_be_visible()
    await checked(page, "worklist")

    await page.get_by_role("link", name=referral_id).click()
    await expect(page).to_have_url(f"{address}/referrals/{referral_id}")
    await expect(page.locator("#status")).to_have_text("Skickad")
    await checked(page, "referral-new")
    await expect(page.get_by_text(CONTACT.name)).to_have_count(0)
    await page.get_by_role("button", name="Visa kontaktuppgifter och behov").click()
    details = page.locator("#resident-details")
    await expect(details).to_contain_text(CONTACT.name, timeout=WAIT)
    await expect(details).to_contain_text(CONTACT.phone or "")
    await expect(details).to_contain_text(NEED)
    assert CONTACT.name not in page.url and "070" not in page.url
    await checked(page, "referral-resident")
    opening = "SELECT caller, partner, status FROM access_log WHERE route = '/data-key'"
    assert [tuple(r) for r in await rows(dsns["referrals"], opening)] == [("sm-maria", "stadsmissionen", 200)]
    await take(page, "Bekräfta mottagandet", "Mottagen")
    await expect(page.get_by_text(CONTACT.name)).to_have_count(0)  # shown on that answer only

    # A step the status does not allow (the form's step changed in the page): refused, in words.
    await page.locator("form.step:has(button:text-is('Acceptera')) input[name=action]").evaluate(
        "e => e.value = 'start'"
    )
    await page.get_by_role("button", name="Acceptera").click()
    refusal = "Det steget går inte att ta när remissen har sin nuvarande status."
    await expect(page.get_by_role("status")).to_have_text(refusal, timeout=WAIT)
    await expect(page.locator("#status")).to_have_text("Mottagen")
    await checked(page, "referral-refused")
    await take(page, "Acceptera", "Accepterad")
    await take(page, "Påbörja", "Pågår")

    await page.get_by_role("button", name="Avsluta").click()  # without an outcome: the browser asks for one
    await expect(page.locator("#status")).to_have_text("Pågår")
    await page.get_by_label("Invånarens huvudsakliga sysselsättning efter insatsen").select_option("work")
    await page.get_by_label("Nej").check()
    await checked(page, "referral-outcome")
    await take(page, "Avsluta", "Avslutad")
    history = page.get_by_role("table", name="Vad som hänt, äldst först").locator("tbody tr")
    await expect(history).to_have_count(5)
    await expect(history.last).to_contain_text("Avslutad")
    await expect(page.get_by_role("button")).to_have_text(["Logga ut", "Öppna igen", "Visa kontaktuppgifter och behov"])
    await checked(page, "referral-completed")

    await page.get_by_role("link", name="Arbetslista").click()
    completed = page.get_by_role("table", name="Avslutad (1)")
    await expect(completed.get_by_role("link", name=referral_id)).to_be_visible()
    await page.get_by_role("link", name="Inkorg").click()
    await page.get_by_role("button", name="Markera som läst").click()
    await expect(page.locator(".count")).to_have_text("Olästa: 0")
    await checked(page, "inbox-read")


async def test_staff_of_another_partner_are_turned_away(network, page):
    _kafka, _dsns, address = network
    await page.goto(f"{address}/referrals")
    await page.fill("#username", "brg-sara")
    await page.fill("#password", local_secret("brg-sara"))
    await page.click("#kc-login")
    turned_away = page.get_by_role("heading", level=1, name="Inte er organisations portal")
    await expect(turned_away).to_be_visible()
    await checked(page, "other-partner")
    await page.goto(f"{address}/referrals")  # Keycloak still knows her: she is turned away again
    await expect(turned_away).to_be_visible()
    cookies = {cookie["name"] for cookie in await page.context.cookies(address)}
    assert "hubnet_portal_stadsmissionen" not in cookies, "a session for staff of another partner"
