"""The faults a fault run injects (`faults.run`), one class per scenario: each is told after every
command sent (`between_commands`), says when its fault is over (`wait`) and what it injected
(`faults`)."""

from __future__ import annotations

import asyncio
import random
import signal
import socket
import time
import urllib.request
from collections import Counter, defaultdict

import hypothesis
from aiokafka import AIOKafkaProducer, TopicPartition

from faults.garbage import KINDS, REASONS, fuzzed_commands, garbage, signed_if_possible
from hubnet_common.ops.local.identities import monitoring_tokens
from hubnet_common.ops.local.kafka_users import admin_login
from hubnet_common.ops.local.partners import partner_login, partner_signer
from hubnet_common.ops.local.services import LocalServices
from hubnet_common.sdk.kafka import records_until_now
from hubnet_common.sdk.topics import REFERRAL_COMMANDS, on_broker
from tests.conftest import free_port

SERVICES = ("referrals", "events", "notifications")


class NoChaos:
    name = "none"
    last_fault = None

    def __init__(self, *_args) -> None:
        pass

    async def between_commands(self, sent: int) -> None:
        pass

    async def wait(self) -> None:
        """Until the fault is over (the part that went away is back)."""

    @property
    def faults(self):
        """What was injected, for the table."""
        return 0


class KillRandomService(NoChaos):
    """kill -9 a service every `every` commands, and start it again at once: each of `victims` in
    turn, in an order drawn with a fixed seed, so every one is killed as often as the others.
    A kill counts once the process is seen gone by its signal and the new one
    answers /readyz; `kills_at` keeps when each victim died, to find the kills that landed inside
    a window of its work."""

    name = "kill"

    def __init__(
        self, local: LocalServices, every: int = 400, *, victims: tuple[str, ...] = SERVICES, seed: int = 20261201
    ) -> None:
        self.local, self.every, self.kills = local, every, Counter()
        self.order = random.Random(seed).sample(victims, len(victims))
        self.kills_at: dict[str, list[float]] = defaultdict(list)

    async def between_commands(self, sent: int) -> None:
        if sent % self.every:
            return
        victim = self.order[sum(self.kills.values()) % len(self.order)]
        process = self.local.processes[victim]
        process.kill()
        killed_at = time.time()
        if await asyncio.to_thread(process.wait) != -signal.SIGKILL:
            raise RuntimeError(f"{victim} had exited before it was killed ({process.returncode})")
        self.local.start(victim)
        await asyncio.to_thread(self.local.wait_ready, victim, time.monotonic(), 60.0)
        self.kills[victim] += 1
        self.kills_at[victim].append(killed_at)
        self.last_fault = time.monotonic()

    @property
    def faults(self):
        return dict(self.kills)


class ScaleOutAndIn(NoChaos):
    """Each service goes from one instance to three at the first third of the run and back to one
    (SIGTERM) from the second third on, once the extra instances have taken work: its consumer
    groups rebalance twice while commands flow."""

    name = "scale"

    def __init__(self, local: LocalServices, total: int) -> None:
        self.local, self.out_at, self.in_at = local, total // 3, 2 * total // 3
        self.extras: dict[str, int] = {}
        self.processed_by_extras = 0
        self._scaling_in: asyncio.Task | None = None
        self._checked = 0.0

    async def between_commands(self, sent: int) -> None:
        if sent == self.out_at:
            for service in SERVICES:
                for n in (2, 3):
                    self.extras[f"{service}#{n}"] = port = free_port()
                    self.local.start(f"{service}#{n}", port=port)
            began = time.monotonic()  # the commands wait until the extras are up, so they see some
            for name, port in self.extras.items():
                await asyncio.to_thread(self.local.wait_ready, name, began, 90.0, port)
            self.last_fault = time.monotonic()
        elif sent >= self.in_at and self._scaling_in is None and time.monotonic() - self._checked > 1.0:
            self._checked = time.monotonic()
            if await asyncio.to_thread(self._extras_took_work):
                self._scaling_in = asyncio.create_task(asyncio.to_thread(self._scale_in))

    def _extras_took_work(self) -> bool:
        return sum(map(_processed, self.extras.values())) > 0

    def _scale_in(self) -> None:
        for name, port in self.extras.items():
            self.processed_by_extras += _processed(port)
            self.local.stop(name)
        self.last_fault = time.monotonic()

    async def wait(self) -> None:
        if self._scaling_in is None:  # the run ended first: scale in now
            self._scaling_in = asyncio.create_task(asyncio.to_thread(self._scale_in))
        await self._scaling_in

    @property
    def faults(self):
        return {"extras took": self.processed_by_extras}


def _processed(port: int) -> int:
    """Records an instance has processed, from its /metrics."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics", headers=monitoring_tokens().authorization())
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            lines = response.read().decode().splitlines()
    except OSError:
        return 0
    return sum(int(float(line.rsplit(" ", 1)[1])) for line in lines if line.startswith("hubnet_messages_total{"))


class Outage(NoChaos):
    """One part of the platform goes away at the first third of the run and comes back `seconds`
    later. It counts only when its port was seen closed after the stop and open after the start."""

    def __init__(self, name: str, stop, start, total: int, seconds: float = 30.0, *, port: int) -> None:
        self.name, self.stop, self.start, self.at, self.seconds = name, stop, start, total // 3, seconds
        self.port, self.outages, self._back = port, 0, None
        self.went_away = False

    async def between_commands(self, sent: int) -> None:
        if sent == self.at:
            await self.stop()
            self.went_away = not await asyncio.to_thread(_port_open, self.port)
            self._back = asyncio.create_task(self._come_back())

    async def _come_back(self) -> None:
        await asyncio.sleep(self.seconds)
        await self.start()
        deadline = time.monotonic() + 60
        while not await asyncio.to_thread(_port_open, self.port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name}: port {self.port} did not open again")
            await asyncio.sleep(0.2)
        self.outages += self.went_away
        self.last_fault = time.monotonic()

    async def wait(self) -> None:
        if self._back:
            await self._back

    @property
    def faults(self):
        return self.outages


def _port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


async def infra(*args: str) -> None:
    process = await asyncio.create_subprocess_exec(
        "bash", "deploy/local/infra.sh", *args, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    _, err = await process.communicate()
    if process.returncode:
        raise RuntimeError(f"infra.sh {' '.join(args)} failed ({process.returncode}): {err.decode()[-500:]}")


class BadInput(NoChaos):
    """Garbage between the real commands: every kind in `faults.garbage` in turn, and every other
    one a record from the hypothesis fuzzer. Each must reach the dead-letter topic with its reason."""

    name = "bad-input"

    def __init__(self, bootstrap: str, prefix: str, every: int = 25) -> None:
        self.bootstrap, self.prefix, self.every, self.sent = bootstrap, prefix, every, 0
        self.producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, max_request_size=2 * 1024 * 1024, **partner_login("bostadsbolaget")
        )  # the garbage's sender
        self.expected: dict[str, str | None] = {}  # key -> reason (None: any reason, for fuzzed records)
        self.fuzzed = _fuzzed_records(500)
        self.sender, self.impostor = partner_signer("bostadsbolaget"), partner_signer("brg")

    async def stop(self) -> None:
        if self.sent:
            await self.producer.stop()

    async def between_commands(self, sent: int) -> None:
        if sent % self.every:
            return
        if self.sent == 0:
            await self.producer.start()
        key = f"R-bad-{self.sent}"
        if self.sent % 2:
            body, headers = self.fuzzed[(self.sent // 2) % len(self.fuzzed)]
            headers = signed_if_possible(self.sender, key, body, headers)
            self.expected[key] = None
        else:
            kind = KINDS[(self.sent // 2) % len(KINDS)]
            body, headers = garbage(kind, key, self.sender, self.impostor)
            self.expected[key] = REASONS[kind]
        await self.producer.send_and_wait(
            on_broker("referral.commands.v1", self.prefix), body, key=key.encode(), headers=headers
        )
        self.sent += 1
        self.last_fault = time.monotonic()

    async def misfiled(self) -> list[str]:
        """Garbage records not on the dead-letter topic exactly once with the reason they deserve."""
        tps = [TopicPartition(on_broker(REFERRAL_COMMANDS.dlq.name, self.prefix), 0)]
        reasons: dict[str, list[str]] = defaultdict(list)
        for record in await records_until_now(self.bootstrap, tps, timeout=60, **admin_login()):
            reasons[record.key.decode()].append(dict(record.headers)["dlq_reason"].decode())
        return [
            f"{key}: {reason or 'any reason'} expected, {reasons[key] or 'none'} found"
            for key, reason in self.expected.items()
            if len(reasons[key]) != 1 or reason not in (None, reasons[key][0])
        ]

    @property
    def faults(self):
        return self.sent


def _fuzzed_records(n: int) -> list:
    found: list = []

    @hypothesis.settings(max_examples=n, database=None, deadline=None)
    @hypothesis.given(fuzzed_commands())
    def collect(record) -> None:
        found.append(record)

    collect()
    return found
