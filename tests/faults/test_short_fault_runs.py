"""Short versions of `make faults`: the same harness and services, a few hundred commands each,
with 10 s outages instead of 30 s. They are guards, not dice: the kill run always kills the
notifications service while it is mailing (a mail sent twice after a kill shows there), and the
bad-input run sends every kind of garbage."""

import pytest

from faults.garbage import KINDS
from faults.run import SCENARIOS, scenario

pytestmark = pytest.mark.faults


@pytest.mark.timeout(360)  # a run waits past the lease after its last fault; a 10 s outage takes a minute more
@pytest.mark.parametrize("name", SCENARIOS[1:])
async def test_a_short_fault_run_loses_doubles_and_reorders_nothing(name, kafka_bootstrap, pg_server_dsn):
    # Slower for `scale`, so that the extra instances are up and have joined while commands flow.
    row = await scenario(
        name,
        cases=60,
        rate=10.0 if name == "scale" else 40.0,
        fault_every=10 if name == "bad-input" else 60 if name == "kill" else 80,
        outage_seconds=10.0,
        kill_only="notifications" if name == "kill" else None,
    )
    assert row["sent"] == 60 * 5 + 10 and row["processed"] == row["sent"]
    # in_window: kills between a doubled mail's acceptance and its record (docs/adr/0001-delivery-outcomes.md).
    found = {k: row[k] for k in ("lost_detail", "doubled", "in_window", "window_ms")}
    assert (row["lost"], row["duplicated"], row["out_of_order"]) == (0, 0, 0), found
    assert (row["misfiled"], row["crashed"]) == (0, 0)
    assert row["mails"] == "360/360"
    if name == "kill":
        assert row["faults"] == {"notifications": 5}  # each seen dead by its signal and back
    elif name == "scale":
        assert row["faults"]["extras took"] > 0  # the extra instances did take work
    elif name == "bad-input":
        assert row["faults"] >= 2 * len(KINDS)  # every kind of garbage, and as many fuzzed records
    else:
        assert row["faults"] == 1  # the part was seen gone and back
