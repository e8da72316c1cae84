"""The staff portal in a real browser: Debian's Chromium, driven by Playwright's Python package
(which cannot download browsers of its own here; `make test` installs the `chromium` package).
Each page visited is checked with axe-core (services/portal/package-lock.json pins it)."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest
import uvicorn
from hubnet_portal import bootstrap
from hubnet_portal.settings import PortalSettings

from hubnet_common.ops.local.credentials import logged_in
from tests.conftest import ROOT, free_port
from tests.integration.conftest import enrolled_partners  # noqa: F401 - every partner's keys on directory.v1
from tests.integration.served import get

CHROMIUM = Path("/usr/bin/chromium")
HAS_CHROMIUM = CHROMIUM.exists()
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = ROOT / "services" / "portal" / "node_modules" / "axe-core" / "axe.min.js"
AXE_SOURCE = AXE.read_text(encoding="utf-8") if AXE.exists() else "throw new Error('no axe-core: make static')"
SCREENSHOTS = ROOT / "docs" / "screenshots"


@pytest.fixture(scope="session")
async def browser():
    from playwright.async_api import async_playwright

    if not HAS_CHROMIUM:
        pytest.fail("no /usr/bin/chromium: `make browser` installs Debian's chromium package", pytrace=False)
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        await chromium.close()


@contextlib.asynccontextmanager
async def portal_of(partner: str, urls: dict[str, str], port: int | None = None, **settings):
    """A partner's staff portal under uvicorn (on `port`, or a free one), as `hubnet-portal` serves it:
    yields its address."""
    port = port or free_port()
    portal_settings = logged_in(
        f"partner-{partner}",
        PortalSettings(
            portal_partner=partner,
            http_port=port,
            referrals_url=urls["referrals"],
            notifications_url=urls["notifications"],
            events_url=urls["events"],
            inbox_poll_seconds=1,
            **settings,
        ),
    )
    server = uvicorn.Server(
        uvicorn.Config(
            bootstrap.app(portal_settings),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            log_config=None,
            access_log=False,
        )
    )
    task = asyncio.create_task(server.serve())
    address = f"http://127.0.0.1:{port}"
    try:
        async with asyncio.timeout(60):
            while (await get(address, "/healthz"))[0] != 200:
                if task.done():
                    task.result()
                    raise RuntimeError("the portal stopped while starting")
                await asyncio.sleep(0.1)
        yield address
    finally:
        server.should_exit = True
        await task


async def axe_findings(page) -> list[str]:
    """axe-core's violations on the page as it is now (its rules for WCAG 2.1 A and AA, and best practice).
    The script goes in through the browser's debugging protocol: the portal's Content-Security-Policy
    rightly refuses a script tag written into the page."""
    await page.evaluate(AXE_SOURCE)
    violations = await page.evaluate("async () => (await axe.run(document)).violations")
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}" for v in violations]
