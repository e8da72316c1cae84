"""The committed OpenAPI documents (docs/openapi/) are what the services serve, and say which
routes need a token: a partner integrator reads them instead of the code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import schemathesis

from hubnet_common.ops.openapi import SERVICES, document, rendered

DOCS = Path(__file__).resolve().parents[2] / "docs" / "openapi"
PUBLIC = {"/healthz", "/readyz", "/calendar.ics"}


@pytest.mark.parametrize("service", SERVICES)
def test_the_committed_document_is_what_the_service_serves(service):
    committed = (DOCS / f"{service}.json").read_text(encoding="utf-8")
    assert committed == rendered(service), f"run `hubnet admin openapi` and commit docs/openapi/{service}.json"


@pytest.mark.parametrize("service", SERVICES)
def test_only_the_probes_and_calendars_are_public_and_every_other_route_refuses_in_writing(service):
    doc = document(service)
    assert doc["openapi"].startswith("3.1")
    schemathesis.openapi.from_dict(json.loads(json.dumps(doc)))  # a valid OpenAPI document
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            if path in PUBLIC:
                assert operation["security"] == [], f"{method} {path}"
            else:
                assert operation["security"] == [{"HTTPBearer": []}], f"{method} {path} needs a token"
                assert {"401", "403"} <= set(operation["responses"]), f"{method} {path}"
    assert doc["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
