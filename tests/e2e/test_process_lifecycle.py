"""A service process as an orchestrator sees it: it waits for dependencies that are not up yet
(alive, not ready, no crash), and on SIGTERM it finishes what it holds and exits promptly,
losing nothing and doing nothing twice."""

import asyncio
import json
import signal
import time
import urllib.error
import urllib.request

import pytest

from hubnet_common.ops.local.partners import LocalPartnerClient
from hubnet_common.ops.local.services import LocalServices
from hubnet_referrals import bootstrap as referrals
from tests.conftest import free_port, fresh_group_prefix
from tests.integration.conftest import eventually, rows, skip_history
from tests.integration.referral_steps import accepted, consent, referral

pytestmark = pytest.mark.e2e


class Proxy:
    """A TCP forwarder that can be switched on later, standing for a database not up yet."""

    def __init__(self, target_port: int) -> None:
        self.port, self.target_port, self.server = free_port(), target_port, None

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._pipe, "127.0.0.1", self.port)

    async def _pipe(self, reader, writer) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)

        async def copy(src, dst):
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except ConnectionError:
                pass
            finally:
                dst.close()

        await asyncio.gather(copy(reader, up_writer), copy(up_reader, writer))

    async def stop(self) -> None:
        if self.server:
            self.server.close()


def probe(port: int, path: str) -> tuple[int, dict | str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=3) as response:
            body = response.read().decode()
            return response.status, json.loads(body) if body.startswith("{") else body
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())
    except OSError:
        return 0, "no answer"


async def not_ready(port: int):
    answer = await asyncio.to_thread(probe, port, "/readyz")
    return answer if answer[0] == 503 else None


async def ready(port: int) -> bool:
    return (await asyncio.to_thread(probe, port, "/readyz"))[0] == 200


async def all_stored_and_relayed(dsn: str, expected: int) -> bool:
    [stored] = await rows(dsn, "SELECT count(*) FROM referrals")
    [unsent] = await rows(dsn, "SELECT count(*) FROM outbox WHERE published_at IS NULL")
    return stored[0] >= expected and unsent[0] == 0


async def test_a_service_waits_for_its_database_and_is_not_ready_meanwhile(
    new_database, pg_server_dsn, tmp_path, kafka_bootstrap
):
    dsn, prefix = await new_database("referrals"), fresh_group_prefix("life")
    await skip_history(kafka_bootstrap, prefix, [referrals.spec()])
    proxy = Proxy(int(pg_server_dsn.rsplit(":", 1)[1].split("/")[0]))
    local = LocalServices(
        log_dir=tmp_path,
        databases={"referrals": dsn.rpartition("/")[2]},
        ports={"referrals": free_port()},
        extra_env={"HUBNET_GROUP_PREFIX": prefix},
        pg_server_dsn=pg_server_dsn.replace(f":{proxy.target_port}/", f":{proxy.port}/"),  # nothing there yet
    )
    port = local.ports["referrals"]
    local.start("referrals")
    try:
        answer = await eventually(lambda: not_ready(port), 20, what="/readyz answers 503")
        assert "unreachable" in answer[1]["postgres"] and answer[1]["kafka"] == "ok"
        assert (await asyncio.to_thread(probe, port, "/healthz"))[0] == 200
        await asyncio.sleep(2)  # a while without its database: it must not exit meanwhile
        assert local.processes["referrals"].poll() is None  # still alive: no crash loop
        await proxy.start()  # the database comes up
        await eventually(lambda: ready(port), 40, what="/readyz answers 200")
    finally:
        await asyncio.to_thread(local.stop_all)
        await proxy.stop()


async def test_sigterm_mid_batch_finishes_in_hand_exits_fast_and_loses_nothing(new_database, kafka_bootstrap, tmp_path):
    dsn, prefix = await new_database("referrals"), fresh_group_prefix("term")
    local = LocalServices(
        log_dir=tmp_path,
        databases={"referrals": dsn.rpartition("/")[2]},
        ports={"referrals": free_port()},
        # small batches, so that the backlog takes many of them and the signal comes mid-way
        extra_env={"HUBNET_GROUP_PREFIX": prefix, "HUBNET_CONSUME_BATCH_RECORDS": "10"},
    )
    await skip_history(kafka_bootstrap, prefix, [referrals.spec()])
    await asyncio.to_thread(local.start_all)
    async with LocalPartnerClient(kafka_bootstrap, "bostadsbolaget") as sender:
        given = consent()
        accepted(await sender.request(given))
        await asyncio.to_thread(local.stop_all)  # the commands wait for it as a backlog
        commands = [referral(given.consent_id) for _ in range(1000)]
        for command in commands:
            await sender.send(command)
        await asyncio.to_thread(local.start_all)
        await eventually(lambda: rows(dsn, "SELECT 1 FROM referrals LIMIT 1"), every=0.05, what="a first referral")
        began = time.monotonic()
        local.processes["referrals"].send_signal(signal.SIGTERM)  # mid-batch
        code = await asyncio.to_thread(local.processes["referrals"].wait, 15)
        took = time.monotonic() - began
        stopped_with = len(await rows(dsn, "SELECT id FROM referrals"))
        await asyncio.to_thread(local.start_all)  # back again: it carries on where it stopped
        try:
            await eventually(lambda: all_stored_and_relayed(dsn, len(commands)), 60, what="every referral relayed")
        finally:
            await asyncio.to_thread(local.stop_all)
    # uvicorn re-raises the SIGTERM it handled once it has shut down, hence -15 rather than 0
    assert code in (0, -signal.SIGTERM) and took < 10
    assert '"service stopped"' in (tmp_path / "referrals.log").read_text()  # the lifespan ran to its end
    assert 0 < stopped_with < len(commands)
    stored = await rows(dsn, "SELECT id, version FROM referrals")
    assert sorted(r["id"] for r in stored) == sorted(c.referral_id for c in commands)  # none lost, none twice
    [unsent] = await rows(dsn, "SELECT count(*) FROM outbox WHERE published_at IS NULL")
    [published] = await rows(dsn, "SELECT count(*) FROM outbox WHERE topic = 'referral.events.v1'")
    assert unsent[0] == 0 and published[0] == len(commands) + 1  # one fact each (and the consent), all relayed
