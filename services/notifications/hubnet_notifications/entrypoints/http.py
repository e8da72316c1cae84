"""The notifications service's HTTP API, for staff and operators (JSON; OpenAPI in
docs/openapi/notifications.json). Who asks comes from the bearer token:

    GET  /inbox[?page=1][&size=20]   the caller's inbox, unread first, newest first (staff)
    GET  /inbox/unread               {"unread": n} (staff)
    POST /inbox/read?id=NOTIFICATION mark one entry of the caller's read (again is harmless)
    GET  /deliveries/failed          deliveries that failed for good (operators)

An inbox is its owner's only: nobody else's token reaches it, another member's entry is 404.
Reads of an inbox are in the access log.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from hubnet_common.service.api import Problem, StaffMember, audited, requires, text
from hubnet_common.service.auth import OPERATOR
from hubnet_common.service.runtime import Runtime
from hubnet_notifications.adapters.uow import of_this_service

DESCRIPTION = "Staff inboxes, and the deliveries that failed for good."


class Entry(BaseModel):
    id: str
    source_type: str
    subject: str
    body: str
    link: str | None
    created_at: datetime
    read_at: datetime | None


class Inbox(BaseModel):
    staff: str
    page: int
    size: int
    unread: int
    items: list[Entry]


class Unread(BaseModel):
    unread: int


class Read(BaseModel):
    read: str


class FailedDelivery(BaseModel):
    id: str
    source_id: str
    source_type: str
    recipient_id: str
    channel: str
    attempts: int
    last_error: str | None
    created_at: datetime


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter(tags=["notifications"])

    def unit_of_work():  # the runtime has its unit of work once it has started
        return of_this_service(runtime.unit_of_work)()

    @api.get("/inbox", response_model=Inbox, openapi_extra=audited("staff"))
    async def inbox(
        staff: StaffMember,
        page: Annotated[int, Query(ge=1, le=10_000)] = 1,
        size: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> Any:
        async with unit_of_work() as uow:
            items = await uow.notifications.inbox(staff, page=page, size=size)
            unread = await uow.notifications.unread(staff)
        return {"staff": staff, "page": page, "size": size, "unread": unread, "items": items}

    @api.get("/inbox/unread", response_model=Unread, openapi_extra=audited("staff"))
    async def unread(staff: StaffMember) -> Any:
        async with unit_of_work() as uow:
            return {"unread": await uow.notifications.unread(staff)}

    @api.post(
        "/inbox/read",
        response_model=Read,
        openapi_extra=audited("id"),
        responses={404: {"description": "no such entry in the caller's inbox"}},
    )
    async def mark_read(staff: StaffMember, id: Annotated[str, text(max_length=64)]) -> Any:
        if not _is_uuid(id):
            raise Problem(404, "no such entry in your inbox")
        async with unit_of_work() as uow:
            found = await uow.notifications.mark_read(staff, id)
            await uow.commit()
        if not found:
            raise Problem(404, "no such entry in your inbox")
        return {"read": id}

    @api.get("/deliveries/failed", response_model=list[FailedDelivery], dependencies=[Depends(requires(OPERATOR))])
    async def failed() -> Any:
        async with unit_of_work() as uow:
            return await uow.notifications.failed()

    return api


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


ROUTES = (router,)
