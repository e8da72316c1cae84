"""A Bostadsbolaget hub host refers a resident to Stadsmissionen in her organisation's staff portal,
and a Stadsmissionen coach works the referral in hers, each in a Chromium context of her own:

- the hub host logs in on Keycloak's own login page, finds a service by hub, need and language
  (a full one cannot be chosen), records the resident's consent and writes the need; a mistyped
  personnummer is told beside its field and nothing is sent; then the referral is sent and she is
  on its page;
- the coach opens the link of the mail she got, logs in, acknowledges, accepts, starts and
  completes it with an outcome; the hub host's page shows each new status without reloading;
- the same flow once more by keyboard alone, focus visible at every stop (the coach then is one
  who works in English); the hub host's worklist shows the acceptance without reloading.

Every page has no axe-core finding and runs under the Content-Security-Policy without a refusal.
"""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from hubnet_common.ops.local.identities import local_secret
from hubnet_common.ops.local.mail import wait_for_mail
from hubnet_common.ops.local.partners import LocalPartnerClient
from tests.browser.conftest import portal_of
from tests.browser.test_portal import WAIT, checked
from tests.conftest import free_port
from tests.integration.conftest import rows
from tests.integration.network import three_served
from tests.integration.referral_steps import publish_encryption_key

pytestmark = pytest.mark.integration
MARIA = "maria.svensson@stadsmissionen.example.org"
ALI = "ali.yusuf@stadsmissionen.example.org"  # he works in English
NEED = "Vill arbeta inom vården; har undersköterskeutbildning från Somalia"
CONSENTS = "SELECT count(*) FROM consents"


@pytest.fixture(scope="module")
async def network(new_database, kafka_bootstrap, mail_sink):
    """The three services, with the notifications service's links into each partner's own portal."""
    ports = {partner: free_port() for partner in ("bostadsbolaget", "stadsmissionen")}
    addresses = {partner: f"http://127.0.0.1:{port}" for partner, port in ports.items()}
    async with three_served(new_database, kafka_bootstrap, mail_sink[0], "newref", partner_urls=addresses) as (
        dsns,
        urls,
    ):
        async with (
            LocalPartnerClient(kafka_bootstrap, "bostadsbolaget") as sender,
            LocalPartnerClient(kafka_bootstrap, "stadsmissionen") as receiver,
        ):
            await publish_encryption_key(sender, "bostadsbolaget")  # the partners' systems, once
            await publish_encryption_key(receiver, "stadsmissionen")
        async with (
            portal_of("bostadsbolaget", urls, port=ports["bostadsbolaget"]),
            portal_of("stadsmissionen", urls, port=ports["stadsmissionen"]),
        ):
            yield dsns, addresses, mail_sink[1]


@pytest.fixture
async def new_page(browser):
    """A page in a browser context of its own (each staff member her own browser), CSP refusals kept."""
    contexts = []

    async def made():
        context = await browser.new_context(locale="sv-SE")
        contexts.append(context)
        page = await context.new_page()
        refusals: list[str] = []
        page.on("console", lambda m: refusals.append(m.text) if "Content Security Policy" in m.text else None)
        page.refusals = refusals  # type: ignore[attr-defined]
        return page

    yield made
    for context in contexts:
        await context.close()


async def log_in(page, address: str, path: str, username: str) -> None:
    await page.goto(f"{address}{path}")
    await expect(page.locator("#kc-form-login")).to_be_visible(timeout=WAIT)  # Keycloak's own page
    await page.fill("#username", username)
    await page.fill("#password", local_secret(username))
    await page.click("#kc-login")
    await expect(page).to_have_url(f"{address}{path}", timeout=WAIT)


async def link_in_mail(mail_dir, referral_id: str, to: str = MARIA) -> str:
    mail = await wait_for_mail(mail_dir, referral_id, to=to)
    [link] = set(re.findall(r"http://127\.0\.0\.1:\d+/referrals/" + re.escape(referral_id), mail.text))
    return link


async def test_a_hub_host_refers_a_resident_and_sees_the_coach_work_it_without_reloading(network, new_page):
    dsns, addresses, mail_dir = network
    host = await new_page()
    await log_in(host, addresses["bostadsbolaget"], "/referrals", "bb-amina")
    await host.get_by_role("link", name="Remittera en invånare").first.click()
    await expect(host.get_by_role("heading", level=1, name="Remittera en invånare")).to_be_visible()
    await checked(host, "refer")

    # Work training at Biskopsgården is full: shown, and not to be chosen.
    await host.get_by_label("Hubb", exact=True).select_option("biskopsgarden")
    await host.get_by_label("Behov", exact=True).select_option("work-training")
    await host.get_by_role("button", name="Hitta tjänster").click()
    full = host.get_by_role("radio", name=re.compile("Arbetsträning"))
    await expect(full).to_be_disabled()
    await expect(host.locator("#places-stadsmissionen-work-training")).to_have_text("Fullt: inga platser just nu")
    await checked(host, "refer-full")

    await host.get_by_label("Hubb", exact=True).select_option("hjallbo")
    await host.get_by_label("Behov", exact=True).select_option("work")
    await host.get_by_label("Språk som invånaren talar").select_option("so")
    await host.get_by_role("button", name="Hitta tjänster").click()
    coaching = host.get_by_role("radio", name=re.compile("Jobbcoachning"))
    await expect(host.locator("#places-stadsmissionen-job-coaching")).to_have_text("Lediga platser: 8")
    assert "personnummer" not in host.url
    await coaching.check()
    await host.get_by_label("Personnummer", exact=True).fill("19900101-0018")  # a wrong check digit
    await host.get_by_role("checkbox", name="Göteborgs Stadsmission").check()
    await expect(host.get_by_role("checkbox", name="Arbete")).to_be_checked()  # the need, proposed
    await host.get_by_role("radio", name="Skriftligt").check()
    await host.get_by_label("Namn", exact=True).fill("Hodan Ali")
    await host.get_by_label("Telefon", exact=True).fill("070-111 22 33")
    await host.get_by_label("5. Invånarens behov").fill(NEED)
    consents = await rows(dsns["referrals"], CONSENTS)
    await host.get_by_role("button", name="Skicka remissen").click()

    number = host.get_by_label("Personnummer", exact=True)
    problem = "Skriv invånarens personnummer eller samordningsnummer, t.ex. 19900101-0017."
    await expect(host.get_by_role("alert")).to_contain_text("Remissen skickades inte")
    await expect(number).to_have_attribute("aria-invalid", "true")
    await expect(number).to_have_accessible_description(re.compile(re.escape(problem)))
    await expect(host.get_by_label("5. Invånarens behov")).to_have_value(NEED)  # nothing to write again
    assert await rows(dsns["referrals"], CONSENTS) == consents, "a consent was sent with a mistyped number"
    await checked(host, "refer-problems")

    await number.fill("19900101-0017")
    await host.get_by_role("button", name="Skicka remissen").click()
    await expect(host).to_have_url(re.compile(r"/referrals/R-"), timeout=WAIT)
    await expect(host.get_by_role("status")).to_have_text("Remissen är skickad.")
    await expect(host.locator("#status")).to_have_text("Skickad")
    referral_id = host.url.rsplit("/", 1)[1]
    assert "0017" not in host.url and "Hodan" not in host.url
    await checked(host, "referral-sent")
    await host.evaluate("window.notReloaded = true")

    link = await link_in_mail(mail_dir, referral_id)
    assert link == f"{addresses['stadsmissionen']}/referrals/{referral_id}"
    coach = await new_page()
    await log_in(coach, addresses["stadsmissionen"], f"/referrals/{referral_id}", "sm-maria")
    await coach.get_by_role("button", name="Visa kontaktuppgifter och behov").click()
    await expect(coach.locator("#resident-details")).to_contain_text(NEED, timeout=WAIT)
    await expect(coach.locator("#resident-details")).to_contain_text("Hodan Ali")
    for button, status in (
        ("Bekräfta mottagandet", "Mottagen"),
        ("Acceptera", "Accepterad"),
        ("Påbörja", "Pågår"),
    ):
        await coach.get_by_role("button", name=button).click()
        await expect(coach.locator("#status")).to_have_text(status, timeout=WAIT)
        await expect(host.locator("#status")).to_have_text(status, timeout=WAIT)  # polled in
    await coach.get_by_label("Invånarens huvudsakliga sysselsättning efter insatsen").select_option("work")
    await coach.get_by_label("Nej").check()
    await coach.get_by_role("button", name="Avsluta").click()
    await expect(coach.locator("#status")).to_have_text("Avslutad", timeout=WAIT)

    await expect(host.locator("#status")).to_have_text("Avslutad", timeout=WAIT)
    history = host.get_by_role("table", name="Vad som hänt, äldst först").locator("tbody tr")
    await expect(history).to_have_count(5)
    assert await host.evaluate("window.notReloaded === true"), "the hub host's page was reloaded"
    await checked(host, "referral-sent-completed")

    await host.get_by_role("link", name="Arbetslista").click()
    await expect(host.get_by_role("table", name="Avslutad (1)").get_by_role("link", name=referral_id)).to_be_visible()
    await checked(host, "worklist-outgoing")


async def focus_is_on(page, locator) -> bool:
    return await locator.evaluate("e => e === document.activeElement")


async def tab_until(page, reached, *, back: bool = False, visible: bool = True, limit: int = 80) -> None:
    """Tab (or Shift+Tab) until `reached()`; each element of the portal it stops at shows that it
    has the focus (`visible`; Keycloak's page is not the portal's)."""
    key = "Shift+Tab" if back else "Tab"
    for _ in range(limit):
        if await reached():
            return
        await page.keyboard.press(key)
        if visible and not await page.evaluate("() => document.activeElement === document.body"):
            outline = await page.evaluate(
                "() => { const s = getComputedStyle(document.activeElement);"
                " return [s.outlineStyle, s.outlineWidth, document.activeElement.outerHTML.slice(0, 80)] }"
            )
            assert outline[0] != "none" and outline[1] != "0px", f"focus not visible: {outline}"
    raise AssertionError(f"not reached by {key}")


async def tab_to(page, locator, **how) -> None:
    await tab_until(page, lambda: focus_is_on(page, locator), **how)


async def keyboard_login(page, address: str, path: str, username: str) -> None:
    await page.goto(f"{address}{path}")
    await expect(page.locator("#kc-form-login")).to_be_visible(timeout=WAIT)
    await tab_to(page, page.locator("#username"), visible=False)
    await page.keyboard.type(username)
    await page.keyboard.press("Tab")
    await page.keyboard.type(local_secret(username))
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(f"{address}{path}", timeout=WAIT)


async def choose_radio(page, group: str, radio) -> None:
    """A radio button of a group: Tab into the group, then the arrow keys (Tab stops at one radio of a group)."""
    in_group = f"() => document.activeElement.matches('input[type=radio][name={group}]')"
    await tab_until(page, lambda: page.evaluate(in_group))
    for _ in range(10):
        if await radio.is_checked():
            return
        await page.keyboard.press("ArrowDown")
    raise AssertionError(f"{radio} not reached by the arrow keys")


async def choose(page, select, value: str, words: str) -> None:
    """An option of a select, by typing its first letters while the select has the focus."""
    await tab_to(page, select)
    await page.keyboard.type(words)
    await expect(select).to_have_value(value)


async def test_the_whole_create_and_accept_flow_by_keyboard_alone(network, new_page):
    _dsns, addresses, mail_dir = network
    host = await new_page()
    await keyboard_login(host, addresses["bostadsbolaget"], "/inbox", "bb-amina")
    await tab_to(host, host.get_by_role("link", name="Remittera en invånare"))
    await host.keyboard.press("Enter")
    await expect(host.get_by_role("heading", level=1, name="Remittera en invånare")).to_be_visible()

    await choose(host, host.get_by_label("Hubb", exact=True), "hjallbo", "Hjä")
    await choose(host, host.get_by_label("Behov", exact=True), "work", "Arb")
    await tab_to(host, host.get_by_role("button", name="Hitta tjänster"))
    await host.keyboard.press("Enter")
    coaching = host.get_by_role("radio", name=re.compile("Jobbcoachning"))
    await expect(coaching).to_be_visible()
    await choose_radio(host, "service", coaching)
    await tab_to(host, host.get_by_label("Personnummer", exact=True))
    await host.keyboard.type("19850312-1231")
    await tab_to(host, host.get_by_role("checkbox", name="Göteborgs Stadsmission"))
    await host.keyboard.press("Space")
    await choose_radio(host, "method", host.get_by_role("radio", name="Muntligt, antecknat av mig"))
    await tab_to(host, host.get_by_label("5. Invånarens behov"))
    await host.keyboard.type("Söker arbete, vill ha stöd med cv")
    await tab_to(host, host.get_by_label("Telefon", exact=True), back=True)  # the name is left out
    await host.keyboard.type("070-222 33 44")
    await tab_to(host, host.get_by_role("button", name="Skicka remissen"))
    await host.keyboard.press("Enter")

    name = host.get_by_label("Namn", exact=True)
    await expect(host.get_by_role("alert")).to_contain_text("Remissen skickades inte", timeout=WAIT)
    await expect(name).to_have_accessible_description("Skriv invånarens namn, så att tjänsten kan nå hen.")
    await expect(host.get_by_label("Personnummer", exact=True)).to_have_value("19850312-1231")  # typed once
    await tab_to(host, name)
    await host.keyboard.type("Ahmed Yusuf")
    await tab_to(host, host.get_by_role("button", name="Skicka remissen"))
    await host.keyboard.press("Enter")
    await expect(host).to_have_url(re.compile(r"/referrals/R-"), timeout=WAIT)
    referral_id = host.url.rsplit("/", 1)[1]
    await checked(host, "referral-sent-by-keyboard")
    await tab_to(host, host.get_by_role("link", name="Arbetslista"))
    await host.keyboard.press("Enter")
    await expect(host.get_by_role("table", name="Skickad (1)").get_by_role("link", name=referral_id)).to_be_visible()
    await host.evaluate("window.notReloaded = true")

    coach = await new_page()
    link = await link_in_mail(mail_dir, referral_id, to=ALI)
    await keyboard_login(coach, link, "", "sm-ali")
    for button, status in (("Acknowledge receipt", "Received"), ("Accept", "Accepted")):
        await tab_to(coach, coach.get_by_role("button", name=button))
        await coach.keyboard.press("Enter")
        await expect(coach.locator("#status")).to_have_text(status, timeout=WAIT)
    accepted = host.get_by_role("table", name="Accepterad (1)").get_by_role("link", name=referral_id)
    await expect(accepted).to_be_visible(timeout=WAIT)  # the hub host's worklist, polled
    assert await host.evaluate("window.notReloaded === true"), "the worklist was reloaded"
    await checked(coach, "referral-accepted-by-keyboard")
