"""A service in this process as `hubnet-<service>` serves it: its app under uvicorn on a free port,
so that tests talk to its HTTP endpoints over a real socket."""

from __future__ import annotations

import asyncio
import contextlib
import json
import urllib.error
import urllib.request

import uvicorn

from hubnet_common.ops.local.credentials import logged_in
from hubnet_common.service.runtime import build_app
from tests.conftest import free_port
from tests.integration.conftest import skip_history


@contextlib.asynccontextmanager
async def serving(spec, settings, *, timeout: float = 60.0):
    """Yields (base URL, runtime) once the service has started (uvicorn runs its lifespan first)."""
    settings = logged_in(f"hubnet-{spec.name}", settings).model_copy(update={"http_port": free_port()})
    await skip_history(settings.kafka_bootstrap, settings.group_prefix, [spec])
    app, runtime = build_app(spec, settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=settings.http_port, log_level="warning", log_config=None)
    )
    task = asyncio.create_task(server.serve())
    url = f"http://127.0.0.1:{settings.http_port}"
    try:
        async with asyncio.timeout(timeout):
            while (await get(url, "/healthz"))[0] != 200:
                if task.done():
                    task.result()
                    raise RuntimeError("the service stopped while starting")
                await asyncio.sleep(0.1)
        yield url, runtime
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def served_alone(service: str, new_database, kafka_bootstrap: str, label: str):
    """One service (`referrals` or `events`) over HTTP on a database of its own: yields its URL and
    the database's DSN."""
    from hubnet_events import bootstrap as events
    from hubnet_events.settings import EventSettings
    from hubnet_referrals import bootstrap as referrals
    from hubnet_referrals.settings import ReferralSettings
    from tests.conftest import fresh_group_prefix

    bootstrap, settings_of = {"referrals": (referrals, ReferralSettings), "events": (events, EventSettings)}[service]
    settings = settings_of(
        pg_dsn=await new_database(service), kafka_bootstrap=kafka_bootstrap, group_prefix=fresh_group_prefix(label)
    )
    async with serving(bootstrap.spec(settings), settings) as (url, _):
        yield url, settings.pg_dsn


async def get(url: str, path: str, token: str | None = None, method: str = "GET") -> tuple[int, object]:
    """(status, JSON body or text); status 0 when nothing answers. `token`: a bearer token."""
    return await asyncio.to_thread(call, url + path, token, method)


def call(address: str, token: str | None = None, method: str = "GET") -> tuple[int, object]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(address, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, _body(response.read(), response.headers.get("content-type", ""))
    except urllib.error.HTTPError as exc:
        return exc.code, _body(exc.read(), exc.headers.get("content-type", ""))
    except OSError:
        return 0, "no answer"


def _body(raw: bytes, content_type: str) -> object:
    try:  # the probes served while a service waits for its dependencies label "ok" as JSON too
        return json.loads(raw) if content_type.startswith("application/json") else raw.decode()
    except json.JSONDecodeError:
        return raw.decode()


async def until_answer(url: str, path: str, wanted, timeout: float = 30.0, token: str | None = None):
    """GET `path` until `wanted(status, body)` holds; the last answer."""
    async with asyncio.timeout(timeout):
        while not wanted(*(answer := await get(url, path, token))):
            await asyncio.sleep(0.2)
    return answer
