"""Start the three services (and, for the demo, staff portals) as separate processes on this machine
and wait until each is ready.

Used by `make run` (the demo) and by the end-to-end tests. Each service gets its own database on
the PostgreSQL server of `HUBNET_PG_DSN`, logs in to Kafka as its own user `hubnet-<service>` and
writes JSON logs to `<log_dir>/<service>.log`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from hubnet_common.ops.local.credentials import login_env

SERVICES = {"referrals": 8181, "events": 8182, "notifications": 8183}
# The staff portals `make run` starts, each acting for its partner (hubnet_portal), by partner.
PORTALS = {"stadsmissionen": 8191, "brg": 8192}


def portal_address(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def database_dsn(server_dsn: str, database: str) -> str:
    """The DSN of `database` on the server that `server_dsn` points at."""
    base, _, _ = server_dsn.rpartition("/")
    return f"{base}/{database}"


@dataclass
class LocalServices:
    log_dir: Path
    databases: dict[str, str] = field(default_factory=lambda: {name: name for name in SERVICES})
    ports: dict[str, int] = field(default_factory=lambda: dict(SERVICES))
    extra_env: dict[str, str] = field(default_factory=dict)
    pg_server_dsn: str | None = None  # default: HUBNET_PG_DSN
    # Staff portals to start too (partner -> port); the mails to their staff link into them.
    portals: dict[str, int] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    ready_after: dict[str, float] = field(default_factory=dict)

    def start(self, name: str, port: int | None = None) -> None:
        """Start a service; `name` may be an extra instance `<service>#<n>` (same database, same
        consumer groups) on its own `port`."""
        service = name.partition("#")[0]
        env = {
            # The local receivers are on 127.0.0.1 over http; a cluster never sets these (docs/security.md).
            "HUBNET_WEBHOOK_ALLOW_PRIVATE": "true",
            "HUBNET_WEBHOOK_ALLOW_HTTP": "true",
            **os.environ,
            **self.extra_env,
            **self._portal_links(),
            **login_env(f"hubnet-{service}"),
            "HUBNET_PG_DSN": database_dsn(self.pg_server_dsn or os.environ["HUBNET_PG_DSN"], self.databases[service]),
            "HUBNET_HTTP_PORT": str(port or self.ports[name]),
        }
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / f"{name}.log", "ab")
        self.processes[name] = subprocess.Popen(
            [str(Path(sys.executable).parent / f"hubnet-{service}")], env=env, stdout=log, stderr=subprocess.STDOUT
        )

    def start_portal(self, partner: str) -> None:
        """A staff portal acting for `partner`: its Kafka login and keys, the services' addresses."""
        env = {
            **os.environ,
            **self.extra_env,
            **login_env(f"partner-{partner}"),
            "HUBNET_PORTAL_PARTNER": partner,
            "HUBNET_HTTP_PORT": str(self.portals[partner]),
            "HUBNET_REFERRALS_URL": f"http://127.0.0.1:{self.ports['referrals']}",
            "HUBNET_NOTIFICATIONS_URL": f"http://127.0.0.1:{self.ports['notifications']}",
            "HUBNET_EVENTS_URL": f"http://127.0.0.1:{self.ports['events']}",
        }
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / f"portal-{partner}.log", "ab")
        self.processes[f"portal-{partner}"] = subprocess.Popen(
            [str(Path(sys.executable).parent / "hubnet-portal")], env=env, stdout=log, stderr=subprocess.STDOUT
        )

    def _portal_links(self) -> dict[str, str]:
        if not self.portals:
            return {}
        urls = {partner: portal_address(port) for partner, port in self.portals.items()}
        return {"HUBNET_PARTNER_URLS": json.dumps(urls)}

    def start_all(self, timeout: float = 60.0) -> dict[str, float]:
        """Start every service (and portal); returns the seconds each took to answer /readyz (/healthz)."""
        began = time.monotonic()
        for name in self.ports:
            self.start(name)
        for partner in self.portals:
            self.start_portal(partner)
        ready = {name: self.wait_ready(name, began, timeout) for name in self.ports}
        for partner, port in self.portals.items():
            ready[f"portal-{partner}"] = self.wait_ready(f"portal-{partner}", began, timeout, port, "/healthz")
        return ready

    def wait_ready(
        self, name: str, began: float, timeout: float, port: int | None = None, probe: str = "/readyz"
    ) -> float:
        url = f"http://127.0.0.1:{port or self.ports[name]}{probe}"
        while time.monotonic() - began < timeout:
            if self.processes[name].poll() is not None:
                raise RuntimeError(
                    f"{name} exited with {self.processes[name].returncode}; see {self.log_dir}/{name}.log"
                )
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return time.monotonic() - began
            except OSError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{name} was not ready within {timeout:.0f} s; see {self.log_dir}/{name}.log")

    def stop(self, name: str, timeout: float = 20.0) -> int | None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return process.returncode if process else None
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait()

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)

    def __enter__(self) -> LocalServices:
        try:
            self.ready_after = self.start_all()
        except BaseException:
            self.stop_all()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop_all()
