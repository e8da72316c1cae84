"""The official AsyncAPI CLI finds docs/contract/asyncapi.json valid and warns of nothing: what a
partner's own tooling would say of it. The CLI is pinned in tests/contract/asyncapi/package-lock.json
(`make test` runs `npm ci` there); it runs offline, with its usage metrics and update check off."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "docs" / "contract" / "asyncapi.json"
CLI = Path(__file__).parent / "asyncapi" / "node_modules" / ".bin" / "asyncapi"
ERROR, WARNING = 0, 1  # Spectral's severities; 2 is information, 3 a hint


def validate(document: Path, home: Path) -> tuple[int, list[dict]]:
    """The CLI's exit code and diagnostics for `document`."""
    assert CLI.exists(), "run `npm ci --ignore-scripts` in tests/contract/asyncapi (make test does)"
    metrics = home / "asyncapi-analytics.json"  # the CLI's own settings file: metrics off
    metrics.write_text(json.dumps({"analyticsEnabled": "false", "infoMessageShown": "true", "userID": "hubnet-tests"}))
    env = {
        **os.environ,
        "HOME": str(home),
        "ASYNCAPI_METRICS_CONFIG_PATH": str(metrics),
        "ASYNCAPI_SKIP_NEW_VERSION_CHECK": "true",  # no look-up of a newer CLI on the registry
        "CI": "true",  # the CLI sends no metrics on CI, whatever its settings say
    }
    run = subprocess.run(
        [str(CLI), "validate", str(document), "--fail-severity", "warn", "--diagnostics-format", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    listed = run.stdout[run.stdout.find("[") :] if "[" in run.stdout else "[]"
    return run.returncode, json.loads(listed)


def test_the_official_cli_finds_the_contract_valid_and_warns_of_nothing(tmp_path):
    code, diagnostics = validate(DOCUMENT, tmp_path)
    serious = [(d["code"], d["path"], d["message"]) for d in diagnostics if d["severity"] in (ERROR, WARNING)]
    assert (code, serious) == (0, [])


def test_the_official_cli_refuses_a_broken_contract(tmp_path):
    broken = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    broken["channels"]["referral-commands-v1"]["address"] = 3
    (tmp_path / "asyncapi.json").write_text(json.dumps(broken), encoding="utf-8")
    code, diagnostics = validate(tmp_path / "asyncapi.json", tmp_path)
    assert code != 0
    assert ["channels", "referral-commands-v1", "address"] in [d["path"] for d in diagnostics if d["severity"] == ERROR]
