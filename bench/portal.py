"""The staff portal's pages with a partner's 1,000 referrals: the worklist and a referral's page,
served by the portal's own app against the real referrals and notifications services, as a
logged-in staff member of the receiving partner asks for them one after another.

Server time is the time the portal's ASGI app takes to answer (its calls to the services' APIs
included; the browser's part is not), measured around the call in this process.
"""

from __future__ import annotations

import asyncio
import html
import random
import re
import time
from contextlib import asynccontextmanager
from urllib.parse import parse_qs, urlparse

import asyncpg
import httpx
from hubnet_portal import bootstrap
from hubnet_portal.settings import PortalSettings

from bench.pipeline import Network
from hubnet_common.ops.local.credentials import logged_in
from hubnet_common.ops.local.identities import local_secret
from tests.conftest import free_port

PARTNER, STAFF = "brg", "brg-lena"  # the pipeline's referrals all go to BRG at Hjällbo
LOGIN_FORM = re.compile(r'<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"', re.S)


class Timed(httpx.AsyncBaseTransport):
    """The portal's app, called in this process; `took` holds each answer's milliseconds."""

    def __init__(self, app) -> None:
        self.inner, self.took = httpx.ASGITransport(app=app), []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        began = time.perf_counter()
        answer = await self.inner.handle_async_request(request)
        await answer.aread()
        self.took.append((time.perf_counter() - began) * 1000)
        return answer


@asynccontextmanager
async def portal_client(net: Network):
    """A client of BRG's portal app, logged in as one of its staff on the identity provider's page."""
    port = free_port()  # only the address the identity provider sends the browser back to
    settings = logged_in(
        f"partner-{PARTNER}",
        PortalSettings(
            portal_partner=PARTNER,
            http_port=port,
            referrals_url=f"http://127.0.0.1:{net.local.ports['referrals']}",
            notifications_url=f"http://127.0.0.1:{net.local.ports['notifications']}",
        ),
    )
    transport = Timed(bootstrap.app(settings))
    async with httpx.AsyncClient(transport=transport, base_url=f"http://127.0.0.1:{port}") as portal:
        await log_in(portal)
        yield portal, transport


async def log_in(portal: httpx.AsyncClient) -> None:
    to_login = await portal.get("/referrals")
    async with httpx.AsyncClient(timeout=15.0) as browser:
        page = await browser.get(to_login.headers["location"])
        form = LOGIN_FORM.search(page.text)
        if form is None:
            raise LookupError(f"no login form (status {page.status_code})")
        cookie = "; ".join(f"{name}={value}" for name, value in page.cookies.items())
        answer = await browser.post(
            html.unescape(form.group(1)),
            data={"username": STAFF, "password": local_secret(STAFF), "credentialId": ""},
            headers={"cookie": cookie},
        )
    back = urlparse(answer.headers.get("location", ""))
    query = {k: v[0] for k, v in parse_qs(back.query).items()}
    if "code" not in query:
        raise PermissionError(f"{STAFF} could not log in (status {answer.status_code})")
    signed_in = await portal.get("/signed-in", params=query)
    if signed_in.status_code != 303:
        raise PermissionError(f"the portal did not let {STAFF} in (status {signed_in.status_code})")


async def seed(net: Network, dsn: str, referrals: int, timeout: float = 300.0) -> float:
    """`referrals` referrals to the partner through the real pipeline; the seconds it took."""
    began = time.monotonic()
    consent_id = await net.consent()
    rate = 100.0
    await net.offer(consent_id, rate, referrals / rate)
    conn = await asyncpg.connect(dsn)
    try:
        async with asyncio.timeout(timeout):
            while (
                await conn.fetchval("SELECT count(*) FROM referrals WHERE receiver_partner_id = $1", PARTNER)
                < referrals
            ):
                await asyncio.sleep(0.5)
        return round(time.monotonic() - began, 1)
    finally:
        await conn.close()


async def measure(portal: httpx.AsyncClient, transport: Timed, paths: list[str]) -> list[float]:
    transport.took.clear()
    for path in paths:
        answer = await portal.get(path)
        if answer.status_code != 200:
            raise RuntimeError(f"{path} answered {answer.status_code}")
    return list(transport.took)


async def pages(net: Network, dsn: str, referrals: int, requests: int) -> dict:
    seeded_s = await seed(net, dsn, referrals)
    conn = await asyncpg.connect(dsn)
    try:
        ids = [r["id"] for r in await conn.fetch("SELECT id FROM referrals WHERE receiver_partner_id = $1", PARTNER)]
    finally:
        await conn.close()
    chosen = random.Random(7)
    async with portal_client(net) as (portal, transport):
        worklist = await portal.get("/referrals")
        shown = worklist.text.count('<a href="/referrals/R-')
        await measure(portal, transport, ["/referrals", f"/referrals/{ids[0]}"] * 5)  # warm up
        return {
            "referrals": len(ids),
            "seeded_s": seeded_s,
            "requests": requests,
            "worklist_rows_shown": shown,
            "worklist_bytes": len(worklist.content),
            "worklist_ms": await measure(portal, transport, ["/referrals"] * requests),
            "referral_ms": await measure(
                portal, transport, [f"/referrals/{chosen.choice(ids)}" for _ in range(requests)]
            ),
        }
