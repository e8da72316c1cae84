"""`make mutation`: mutmut over the domain and handlers packages of the three services, against
tests/unit only (never part of `make test`).

mutmut expects the code it mutates under ./src of the folder it runs in, named by its import path,
while the services live in services/<name>/hubnet_<name>: so it runs in .local/mutation/, whose
src/ links to the three packages and whose tests/ and pytest.ini link to the repo's. A run without
mutant names starts from fresh mutants: mutmut keeps the verdicts of unchanged code, survivors too,
and re-tests only the mutants it is named (--retest-unkilled, --resume name them). Prints killed /
total per package and every survivor, and writes the same as JSON to .local/mutation/report.json.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGING = ROOT / ".local" / "mutation"
PACKAGES = {
    "hubnet_referrals": ROOT / "services/referrals/hubnet_referrals",
    "hubnet_events": ROOT / "services/events/hubnet_events",
    "hubnet_notifications": ROOT / "services/notifications/hubnet_notifications",
}
KILLED = {"killed", "caught by type check"}
RESULT_LINE = re.compile(r"^\s+(?P<name>\S+): (?P<status>.+)$")


def stage(*, fresh: bool, tests: Path) -> None:
    STAGING.mkdir(parents=True, exist_ok=True)
    if fresh:
        shutil.rmtree(STAGING / "mutants", ignore_errors=True)
    src = STAGING / "src"
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir()
    for name, path in PACKAGES.items():
        (src / name).symlink_to(path, target_is_directory=True)
    for name in ("tests", "pytest.ini", "faults"):
        link = STAGING / name
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(tests if name == "tests" else ROOT / name)
    shutil.copyfile(ROOT / "mutation" / "mutmut.toml", STAGING / "pyproject.toml")


def mutmut(*args: str, capture: bool = False) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).with_name("mutmut")), *args]
    return subprocess.run(command, cwd=STAGING, text=True, capture_output=capture, check=False)


def package_of(mutant: str) -> str:
    """hubnet_referrals.domain.referral.xǁReferralǁaccept__mutmut_3 -> hubnet_referrals.domain"""
    return ".".join(mutant.split(".")[:2])


def report() -> dict:
    listed = mutmut("results", "--all", "true", capture=True)
    if listed.returncode != 0:
        sys.exit(f"mutmut results failed:\n{listed.stdout}{listed.stderr}")
    by_package: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    survivors: list[str] = []
    other: dict[str, str] = {}
    for line in listed.stdout.splitlines():
        match = RESULT_LINE.match(line)
        if not match:
            continue
        name, status = match["name"], match["status"]
        counts = by_package[package_of(name)]
        counts["total"] += 1
        if status in KILLED:
            counts["killed"] += 1
        elif status == "survived":
            counts["survived"] += 1
            survivors.append(name)
        else:
            counts["timeout" if status == "timeout" else "no tests" if status == "no tests" else "other"] += 1
            other[name] = status
    return {"packages": {k: dict(v) for k, v in sorted(by_package.items())}, "survivors": survivors, "other": other}


def print_report(result: dict, seconds: float) -> None:
    print(
        f"\n{'package':<30} {'killed':>7} {'total':>6} {'score':>7} {'survived':>9} {'timeout':>8} "
        f"{'no tests':>9} {'other':>6}"
    )
    total = killed = 0
    for package, counts in result["packages"].items():
        total += counts["total"]
        killed += counts.get("killed", 0)
        print(
            f"{package:<30} {counts.get('killed', 0):>7} {counts['total']:>6} "
            f"{counts.get('killed', 0) / counts['total']:>7.1%} {counts.get('survived', 0):>9} "
            f"{counts.get('timeout', 0):>8} {counts.get('no tests', 0):>9} {counts.get('other', 0):>6}"
        )
    if total:
        print(f"{'all':<30} {killed:>7} {total:>6} {killed / total:>7.1%}")
    if result["survivors"]:
        print("\nsurvivors (`cd .local/mutation && ../../.venv/bin/mutmut show NAME` shows the change):")
        for name in result["survivors"]:
            print(f"  {name}")
    if result["other"]:
        print("\nneither killed nor survived, by function (mostly: no unit test reaches it):")
        by_function = defaultdict(lambda: defaultdict(int))
        for name, status in result["other"].items():
            by_function[name.partition("__mutmut_")[0]][status] += 1
        for function, statuses in sorted(by_function.items()):
            print(f"  {function}: {', '.join(f'{n} {status}' for status, n in sorted(statuses.items()))}")
    print(f"\nrun time {seconds / 60:.1f} min; report in {STAGING.relative_to(ROOT)}/report.json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-children", type=int, default=1, help="mutmut's worker processes")
    parser.add_argument("--report-only", action="store_true", help="report the last run again")
    parser.add_argument(
        "--retest-unkilled",
        action="store_true",
        help="re-test only what the last run did not kill (after adding tests: killed stays killed)",
    )
    parser.add_argument(
        "--tests",
        type=Path,
        default=ROOT / "tests",
        help="the tests folder to run (e.g. another checkout's, to score it)",
    )
    parser.add_argument("--resume", action="store_true", help="go on with what an interrupted run left unchecked")
    parser.add_argument("mutants", nargs="*", help="re-test only these mutants of the last run (globs)")
    args = parser.parse_args()
    started = time.monotonic()
    mutants = list(args.mutants)
    if args.retest_unkilled:
        last = json.loads((STAGING / "report.json").read_text())
        mutants += last["survivors"] + sorted(n for n, status in last["other"].items() if status != "not checked")
    if args.resume:
        mutants += [name for name, status in report()["other"].items() if status == "not checked"]
    if not args.report_only:
        stage(fresh=not mutants, tests=args.tests.resolve())
        run = mutmut("run", "--max-children", str(args.max_children), *mutants)
        if run.returncode != 0:
            sys.exit(run.returncode)
    seconds = time.monotonic() - started
    result = report() | {"seconds": round(seconds)}
    (STAGING / "report.json").write_text(json.dumps(result, indent=2) + "\n")
    print_report(result, seconds)


if __name__ == "__main__":
    main()
