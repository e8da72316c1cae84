"""Each service's HTTP API against its own OpenAPI document, property-based (schemathesis): every
operation with generated parameters, as a caller with the right to it, on the real stack. No
answer may be a server error or fall outside what the document says."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from hubnet_common.ops.local.identities import monitoring_tokens, operator_tokens, partner_tokens, staff_login
from hubnet_common.ops.openapi import SERVICES, document
from tests.integration.network import in_a_thread, three_served

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def served(new_database, kafka_bootstrap, mail_sink):
    """On a loop of their own: schemathesis calls them synchronously."""
    with in_a_thread(lambda: three_served(new_database, kafka_bootstrap, mail_sink[0], "props")) as (_, urls):
        yield urls


def caller_for(path: str) -> str:
    """A token with the right to `path`: its check is not what this test is about."""
    if path == "/metrics":
        return monitoring_tokens().token()
    if path.startswith("/deliveries"):
        return operator_tokens().token()
    if path.startswith(("/inbox", "/staff", "/subscriptions")):
        return staff_login("sm-maria", "stadsmissionen")["access_token"]
    return partner_tokens("stadsmissionen").token()


# The documents as committed (tests/contract/test_openapi_documents.py holds them equal to what is served).
REFERRALS, EVENTS, NOTIFICATIONS = (schemathesis.openapi.from_dict(document(s)) for s in SERVICES)
PROPERTIES = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


def keeps_to_its_document(case, base_url: str) -> None:
    # Every check but two. A value the schema allows may still be refused by a rule it cannot
    # state (a month that is not YYYY-MM, an unknown group), with a documented 400 or 422. And a
    # parameter the API does not know is ignored, not refused, as HTTP APIs commonly do; the
    # token this test adds to every request would make the negative cases without one pass too.
    case.call_and_validate(
        base_url=base_url,
        headers={"Authorization": f"Bearer {caller_for(case.path)}"},
        excluded_checks=[schemathesis.checks.positive_data_acceptance, schemathesis.checks.negative_data_rejection],
    )


@REFERRALS.parametrize()
@PROPERTIES
def test_the_referrals_api_keeps_to_its_document(case, served):
    keeps_to_its_document(case, served["referrals"])


@EVENTS.parametrize()
@PROPERTIES
def test_the_events_api_keeps_to_its_document(case, served):
    keeps_to_its_document(case, served["events"])


@NOTIFICATIONS.parametrize()
@PROPERTIES
def test_the_notifications_api_keeps_to_its_document(case, served):
    keeps_to_its_document(case, served["notifications"])
