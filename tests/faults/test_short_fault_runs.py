"""Short versions of `make faults`: the same harness and services, a few hundred commands each,
with 10 s outages instead of 30 s."""

import pytest

from faults.run import SCENARIOS, scenario

pytestmark = pytest.mark.faults


@pytest.mark.parametrize("name", SCENARIOS[1:])
async def test_a_short_fault_run_loses_doubles_and_reorders_nothing(name, kafka_bootstrap, pg_server_dsn):
    # Slower for `scale`, so that the extra instances are up and have joined while commands flow.
    row = await scenario(name, cases=60, rate=10.0 if name == "scale" else 40.0, fault_every=80, outage_seconds=10.0)
    assert row["sent"] == 60 * 5 + 10 and row["processed"] == row["sent"]
    assert (row["lost"], row["duplicated"], row["out_of_order"]) == (0, 0, 0)
    assert (row["misfiled"], row["crashed"]) == (0, 0)
    assert row["mails"] == "360/360"
    assert row["faults"]  # the fault was really injected
    if name == "scale":
        assert row["faults"]["extras took"] > 0  # the extra instances did take work
