"""Short versions of `make faults`: the same harness and services, a few hundred commands each."""

import pytest

from faults.run import scenario

pytestmark = pytest.mark.faults


@pytest.mark.parametrize("name", ["kill", "bad-input"])
async def test_a_short_fault_run_loses_doubles_and_reorders_nothing(name, kafka_bootstrap, pg_server_dsn):
    row = await scenario(name, cases=60, rate=40.0, fault_every=80)
    assert row["sent"] == 60 * 5 + 10 and row["processed"] == row["sent"]
    assert (row["lost"], row["duplicated"], row["out_of_order"]) == (0, 0, 0)
    assert row["mails"] == "360/360"
    assert row["faults"]  # the fault was really injected

