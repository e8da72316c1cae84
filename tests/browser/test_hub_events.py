"""A Familjebostäder hub host at Bergsjön runs a CV drop-in from her organisation's staff portal,
in Chromium: she schedules it with two places, registers residents until the waitlist starts,
cancels a place and sees the first waiting move up, records who came and a walk-in, finds the
event on the hub's calendar (and its .ics feed), and searches the directory for a service at
Bergsjön in Somali. Every page has no axe-core findings; the screenshots are the README's."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.async_api import expect

from tests.browser.conftest import portal_of
from tests.browser.test_portal import WAIT, checked, log_in, page  # noqa: F401 - the page fixture
from tests.integration.conftest import until
from tests.integration.network import three_served
from tests.integration.referral_steps import person
from tests.integration.served import get

pytestmark = pytest.mark.integration
DAY = date.today() + timedelta(days=10)
TITLE = "CV-verkstad i Bergsjön"


@pytest.fixture(scope="module")
async def network(new_database, kafka_bootstrap, mail_sink):
    async with three_served(new_database, kafka_bootstrap, mail_sink[0], "portal-events") as (dsns, urls):
        await until(dsns["events"], "SELECT 1 FROM known_hubs WHERE id = 'bergsjon'")
        await until(dsns["events"], "SELECT 1 FROM known_partners WHERE id = 'familjebostader'")
        async with portal_of("familjebostader", urls) as address:
            yield address, urls


async def register(page, number: str, said: str) -> None:
    await page.fill("#personnummer", number)
    await page.check("#consent")
    await page.get_by_role("button", name="Anmäl", exact=True).click()
    await expect(page.get_by_role("status")).to_have_text(said, timeout=WAIT)


async def test_a_hub_host_runs_a_hub_event_from_schedule_to_attendance(network, page):
    address, urls = network
    await log_in(page, address, "fb-karin")
    await page.get_by_role("link", name="Aktiviteter").click()
    await page.get_by_role("link", name="Lägg in en aktivitet").click()
    await page.select_option("#hub", "bergsjon")
    await page.select_option("#kind", "cv-drop-in")
    await page.fill("#title", TITLE)
    await page.fill("#description", "Ta med ditt CV, vi hjälper dig att göra det bättre.")
    await page.fill("#day", DAY.isoformat())
    await page.fill("#starts", "17:00")
    await page.fill("#ends", "19:00")
    await page.fill("#capacity", "2")
    await page.fill("#languages", "sv, so")
    await checked(page, "hub-event-new")
    await page.get_by_role("button", name="Lägg in", exact=True).click()
    await expect(page.get_by_role("status")).to_have_text("Aktiviteten finns nu i kalendern.", timeout=WAIT)
    await expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    await expect(page.locator("#when")).to_contain_text(f"{DAY.isoformat()} 17:00")

    await register(page, person(101), "Invånaren har fått en plats.")
    await register(page, person(102), "Invånaren har fått en plats.")
    await register(page, person(103), "Tillfället är fullt: invånaren står på väntelistan.")
    await register(page, person(103), "Invånaren är redan anmäld till det här tillfället.")
    await expect(page.locator("#places")).to_have_text("2 / 2")
    await expect(page.locator("#waitlist tbody tr")).to_have_count(1)
    waiting = (await page.locator("#waitlist tbody tr td code").inner_text()).strip()
    await checked(page, "hub-event-waitlist")

    await page.locator("#registered tbody tr").first.get_by_role("button", name="Avboka platsen").click()
    await expect(page.get_by_role("status")).to_have_text("Platsen är avbokad.", timeout=WAIT)
    await expect(page.get_by_text("Ingen väntar.")).to_be_visible()
    await expect(page.locator("#registered tbody tr")).to_have_count(2)
    await expect(page.locator("#registered tbody tr").last).to_contain_text(waiting)  # moved up from the waitlist
    await expect(page.locator("#places")).to_have_text("2 / 2")

    await page.locator("#registered tbody tr").first.get_by_label("Kom").check()
    await page.fill("#walk_ins", "1")
    await page.get_by_role("button", name="Registrera närvaro").click()
    await expect(page.get_by_role("status")).to_have_text("Närvaron är registrerad.", timeout=WAIT)
    await expect(page.locator("#walk-ins")).to_have_text("1")
    rows = page.locator("#registered tbody tr")
    await expect(rows.first.locator("td").nth(2)).to_have_text("Kom")
    await expect(rows.last.locator("td").nth(2)).to_have_text("Kom inte")
    await checked(page, "hub-event-attendance")

    await page.get_by_role("link", name="Aktiviteter").click()
    await page.select_option("#hub", "bergsjon")
    await page.get_by_role("button", name="Visa").click()
    row = page.locator("#calendar tbody tr", has_text=TITLE)
    await expect(row).to_contain_text("2 / 2")
    feed = await page.get_by_role("link", name="Hubbens kalender för kalenderappar (.ics)").get_attribute("href")
    assert feed == f"{urls['events']}/calendar.ics?hub=bergsjon"
    status, ics = await get(urls["events"], "/calendar.ics?hub=bergsjon")
    assert status == 200 and TITLE in str(ics)
    await checked(page, "hub-events")


async def test_the_directory_finds_a_service_by_hub_and_language(network, page):
    address, _ = network
    await log_in(page, address, "fb-karin")
    await page.get_by_role("link", name="Katalog").click()
    await page.select_option("#hub", "bergsjon")
    await page.fill("#language", "so")
    await page.get_by_role("button", name="Sök").click()
    found = page.locator("#services tbody tr", has_text="Vägledning om vuxenutbildning och SFI")
    await expect(found).to_contain_text("Bergsjön")
    await expect(found).to_contain_text("somaliska")
    await expect(page.locator("#services tbody tr", has_text="Jobbmatchning")).to_have_count(0)
    await checked(page, "directory")
