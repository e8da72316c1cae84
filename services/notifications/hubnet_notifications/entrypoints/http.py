"""HTTP for staff and operators (JSON):

    GET  /inbox?staff=ID[&page=1][&size=20]   a staff member's inbox, unread first, newest first
    GET  /inbox/unread?staff=ID               {"unread": n}
    POST /inbox/read?staff=ID&id=NOTIFICATION mark one entry read (again is harmless)
    GET  /deliveries/failed                   deliveries that failed for good, for operators

`staff` says who asks (a claim until requests are authenticated: see the trust issue).
"""

from __future__ import annotations

import uuid
from typing import Any

from faststream.asgi import AsgiResponse, get, post

from hubnet_common.service.http import json_response, problem, query
from hubnet_common.service.runtime import Runtime
from hubnet_notifications.adapters.uow import of_this_service


def _paging(q: dict[str, str]) -> tuple[int, int]:
    page, size = int(q.get("page", "1")), int(q.get("size", "20"))
    if page < 1 or not 1 <= size <= 100:
        raise ValueError("page ≥ 1 and 1 ≤ size ≤ 100")
    return page, size


def inbox_route(runtime: Runtime):
    @get
    async def inbox(scope: Any) -> AsgiResponse:
        q = query(scope)
        if not q.get("staff"):
            return problem("give staff", 400)
        try:
            page, size = _paging(q)
        except ValueError as exc:
            return problem(str(exc), 400)
        async with of_this_service(runtime.unit_of_work)() as uow:
            items = await uow.notifications.inbox(q["staff"], page=page, size=size)
            unread = await uow.notifications.unread(q["staff"])
        return json_response({"staff": q["staff"], "page": page, "size": size, "unread": unread, "items": items})

    return "/inbox", inbox


def unread_route(runtime: Runtime):
    @get
    async def unread(scope: Any) -> AsgiResponse:
        q = query(scope)
        if not q.get("staff"):
            return problem("give staff", 400)
        async with of_this_service(runtime.unit_of_work)() as uow:
            return json_response({"unread": await uow.notifications.unread(q["staff"])})

    return "/inbox/unread", unread


def is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def read_route(runtime: Runtime):
    @post
    async def mark_read(scope: Any) -> AsgiResponse:
        q = query(scope)
        if not q.get("staff") or not q.get("id"):
            return problem("give staff and id", 400)
        if not is_uuid(q["id"]):
            return problem(f"no inbox entry {q['id']}", 404)
        async with of_this_service(runtime.unit_of_work)() as uow:
            found = await uow.notifications.mark_read(q["staff"], q["id"])
            await uow.commit()
        return json_response({"read": q["id"]}) if found else problem(f"no inbox entry {q['id']}", 404)

    return "/inbox/read", mark_read


def failed_route(runtime: Runtime):
    @get
    async def failed(scope: Any) -> AsgiResponse:
        async with of_this_service(runtime.unit_of_work)() as uow:
            return json_response(await uow.notifications.failed())

    return "/deliveries/failed", failed


ROUTES = (inbox_route, unread_route, read_route, failed_route)
