"""Small helpers for the services' read-only HTTP routes (FastStream's ASGI support)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qs

from faststream.asgi import AsgiResponse


def json_response(data: Any, status: int = 200) -> AsgiResponse:
    body = json.dumps(data, default=_jsonable, ensure_ascii=False).encode()
    return AsgiResponse(body, status_code=status, headers={"content-type": "application/json"})


def problem(message: str, status: int, *, code: str | None = None) -> AsgiResponse:
    """`{"error": message}`, with a machine-readable `code` when there is one."""
    return json_response({"error": message, **({"code": code} if code else {})}, status)


def query(scope: Any) -> dict[str, str]:
    """The query string's parameters (the last value of each)."""
    return {k: v[-1] for k, v in parse_qs(scope.get("query_string", b"").decode()).items()}


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (date, datetime)) else str(value)
