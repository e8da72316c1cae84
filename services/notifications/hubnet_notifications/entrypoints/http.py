"""The notifications service's HTTP API, for staff and operators (JSON; OpenAPI in
docs/openapi/notifications.json). Who asks comes from the bearer token:

    GET  /inbox[?page=1][&size=20]   the caller's inbox, unread first, newest first (staff)
    GET  /inbox/unread               {"unread": n} (staff)
    POST /inbox/read?id=NOTIFICATION mark one entry of the caller's read (again is harmless)
    GET  /staff/me                   the caller's own record: language, delivery, roles (staff)
    GET  /subscriptions              the caller's own subscriptions (staff)
    GET  /webhooks                   the caller's partner's webhook endpoints, no secrets (partner)
    GET  /deliveries/failed          deliveries that failed for good (operators)

An inbox, a record and subscriptions are their owner's only: no parameter names whose, the token
does; another member's entry is 404. Reads of an inbox, a record or subscriptions are in the access
log. What is changed is changed by the partner's commands (notification.commands.v1).
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from hubnet_common.service.api import Partner, Problem, StaffMember, audited, requires, text
from hubnet_common.service.auth import OPERATOR
from hubnet_common.service.runtime import Runtime
from hubnet_notifications.adapters.uow import of_this_service

DESCRIPTION = "Staff inboxes and settings, partners' webhooks, and the deliveries that failed for good."


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


class OwnRecord(BaseModel):
    id: str
    name: str
    email: str
    partner_id: str
    hubs: list[str]
    roles: list[str]
    language: Literal["sv", "en"]
    delivery: Literal["immediate", "digest"]


class OwnSubscription(BaseModel):
    id: str
    kinds: list[str]
    partner_id: str | None
    service_id: str | None
    hub_id: str | None
    created_at: datetime


class Webhook(BaseModel):
    id: str
    url: str
    kinds: list[str]


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

    @api.get(
        "/staff/me",
        response_model=OwnRecord,
        openapi_extra=audited("staff"),
        responses={404: {"description": "the caller's partner has not told this service of them"}},
    )
    async def own_record(staff: StaffMember, partner: Partner) -> Any:
        async with unit_of_work() as uow:
            member = await uow.staff.get(staff)
        if member is None or not member.active or member.partner_id != partner:
            raise Problem(404, "your organisation has not registered you here (UpsertStaffMember)")
        return {**asdict(member), "hubs": list(member.hubs), "roles": list(member.roles)}

    @api.get("/subscriptions", response_model=list[OwnSubscription], openapi_extra=audited("staff"))
    async def own_subscriptions(staff: StaffMember) -> Any:
        async with unit_of_work() as uow:
            return await uow.subscriptions.of_staff(staff)

    @api.get("/webhooks", response_model=list[Webhook])
    async def webhooks(partner: Partner) -> Any:
        async with unit_of_work() as uow:
            return await uow.webhooks.listed(partner)

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
