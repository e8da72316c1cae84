"""The OpenAPI 3.1 documents of the services' HTTP APIs, generated from their routes and committed
under docs/openapi/ (`hubnet admin openapi`); tests/contract/test_openapi_documents.py fails when a
committed document differs from what the code serves."""

from __future__ import annotations

import json
from importlib import import_module
from pathlib import Path
from typing import Any, cast

import asyncpg

from hubnet_common.service.api import service_api
from hubnet_common.service.auth import TokenVerifier
from hubnet_common.service.runtime import Runtime, probes

SERVICES = ("referrals", "events", "notifications")
DOCS = Path("docs/openapi")


def document(service: str) -> dict[str, Any]:
    """What the service serves at /openapi.json; its routes are built, never called."""
    http = import_module(f"hubnet_{service}.entrypoints.http")
    nothing = cast(Runtime, None)  # the handlers would use it; making the document does not call them
    api = service_api(
        service,
        tokens=TokenVerifier("https://id.example.org/realms/hubnet", f"hubnet-{service}"),
        pool=lambda: cast(asyncpg.Pool, None),
        routers=[probes(nothing), *(router(nothing) for router in http.ROUTES)],
        description=http.DESCRIPTION,
    )
    return api.openapi()


def rendered(service: str) -> str:
    return json.dumps(document(service), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write(directory: Path = DOCS) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for service in SERVICES:
        path = directory / f"{service}.json"
        text = rendered(service)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
