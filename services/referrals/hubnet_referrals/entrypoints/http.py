"""The referrals service's HTTP API, for partner systems and staff (JSON; OpenAPI in
docs/openapi/referrals.json). Who asks comes from the bearer token (hubnet_common/service/api.py):

    GET /referral?id=R-…        one referral with its full history, for its sender and receiver
    GET /audit?id=R-…           who asked what of it, when, and the answers, for the same two
    GET /referrals[?role=sender|receiver][&status=S][&hub=H][&service=S][&offset=N][&limit=N]
                                the caller's partner's referrals, newest first, a page at a time
    GET /directory              partners (with public keys and standing), hubs, services; unsigned
    GET /report[?group_by=hub,month][&since=YYYY-MM][&until=YYYY-MM][&format=json|csv|table]
    GET /data-key?participant_ref=…   the resident's data key sealed to the caller's partner
    PUT /partners/{id}          operators: admit a partner (name, public keys) to the directory
    PUT /partners/{id}/standing operators: suspend, resume or remove a partner
    GET /services, /organizations, … the directory in HSDS 3.0 shape (entrypoints/hsds.py)

A referral another partner sent and received is answered 404, as one that does not exist.
The data key answer is signed by this service, about that resident, that partner and its time
(hubnet_common/sdk/data_key.py checks it). Reads of a referral, an audit or a data key are in
the access log, allowed or refused.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field

from hubnet_common.sdk.data_key import signed_answer
from hubnet_common.sdk.errors import Refused
from hubnet_common.sdk.messages.directory import Schedule
from hubnet_common.sdk.messages.directory_commands import PublicKey
from hubnet_common.service import reporting
from hubnet_common.service.api import Authenticated, Partner, Problem, audited, requires, text
from hubnet_common.service.auth import OPERATOR
from hubnet_common.service.runtime import Runtime
from hubnet_referrals.adapters import read_model
from hubnet_referrals.adapters.data_keys import partners_copy
from hubnet_referrals.adapters.follow_up_query import count_cells
from hubnet_referrals.domain import follow_up
from hubnet_referrals.entrypoints import hsds
from hubnet_referrals.handlers.directory import AdmissionRefused, admit_partner, change_standing
from hubnet_referrals.handlers.ports import UnitOfWork

DESCRIPTION = "Referrals, their history and audit, the directory, follow-up figures and data key copies."
_NO_REFERRAL = "no such referral of yours"
# No dots: a partner's consumer groups start with `partner.<id>.` (ops/access.py).
PartnerId = Annotated[
    str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", description="the partner's id, e.g. arbetsformedlingen")
]
ReferralId = Annotated[str, text(min_length=1, max_length=64, description="the referral's id, R-…")]


class PartnerAdmission(BaseModel):
    name: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00]*$")
    signing_key: PublicKey  # Ed25519, base64: the partner's first message-signing key
    encryption_key: PublicKey | None = None  # X25519, base64: what its copies of data keys are sealed to


class PartnerStanding(BaseModel):
    status: Literal["active", "suspended", "removed"]


class PartnerEntry(BaseModel):
    partner_id: str
    name: str
    status: str
    changed: bool  # False: the directory already said so


class Step(BaseModel):
    version: int
    action: str
    status: str
    actor_partner_id: str
    at: datetime
    reason_code: str | None
    reason: str
    note: str
    main_activity: str | None
    public_support_continues: bool | None
    outcome_note: str
    noted_by: str | None  # the actor's staff member, if its system named them


class Clock(BaseModel):
    """An SLA clock: acknowledge, then answer, by the end of `due_at`'s day (working days, Stockholm)."""

    kind: Literal["acknowledge", "answer"]
    due_at: datetime
    stopped_at: datetime | None
    met: bool | None  # once stopped: whether before its deadline
    working_days_left: int | None  # while it runs: 0 is due today, below 0 the working days overdue


class Listed(BaseModel):
    id: str
    sender_partner_id: str
    receiver_partner_id: str
    service_id: str
    hub_id: str
    purpose: str
    status: str
    version: int
    requested_at: datetime
    sla: Clock | None  # the clock running now, if any


class Referral(Listed):
    consent_id: str | None
    participant_ref: str
    sealed_contact: str | None
    need: str
    history: list[Step]
    clocks: list[Clock]  # every SLA clock the referral has had, oldest first


class AuditEntry(BaseModel):
    seq: int
    aggregate_id: str
    actor: str
    command_type: str
    command_id: str
    sent_at: datetime
    outcome: Literal["accepted", "refused"]
    code: str | None
    answered_at: datetime


class DirectoryPartner(BaseModel):
    id: str
    name: str
    active: bool
    status: Literal["active", "suspended", "removed"] = Field(
        description="the partner's standing: a suspended or removed partner's commands are refused"
    )
    encryption_public_key: str | None = Field(description="base64 X25519 key contact details are sealed to")


class DirectoryHub(BaseModel):
    id: str
    name: str
    active: bool


class DirectoryService(BaseModel):
    id: str
    partner_id: str = Field(description="who runs it, and receives its referrals")
    name: str
    active: bool
    hub_ids: list[str] = Field(description="the hubs it is offered at")
    available_places: int | None = Field(description="free places; null: not counted")
    capacity_updated_at: datetime | None
    ack_within_days: int
    answer_within_days: int
    eligibility: str
    languages: list[str]
    contact_email: str
    contact_phone: str
    schedules: list[Schedule] = Field(description="opening times (HSDS schedule), at one hub or at all")


class Directory(BaseModel):
    """The directory as this service holds it, unsigned and without signing keys: a partner that
    must trust an entry (a key) reads `directory.v1` and verifies each record (docs/contract/README.md)."""

    partners: list[DirectoryPartner]
    hubs: list[DirectoryHub]
    services: list[DirectoryService]


class DataKeyCopy(BaseModel):
    participant_ref: str
    partner: str
    sealed_key: str
    answered_at: str
    signature: str


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter(tags=["referrals"])
    responses: dict[int | str, dict[str, Any]] = {404: {"description": "none of yours, or none at all"}}

    @api.get("/referral", response_model=Referral, openapi_extra=audited("id"), responses=responses)
    async def referral(id: ReferralId, partner: Partner) -> Any:
        async with runtime.pool.acquire() as conn:
            found = await read_model.referral_with_history(conn, id, partner, datetime.now(UTC))
        if found is None:
            raise Problem(404, _NO_REFERRAL)
        return found

    @api.get("/audit", response_model=list[AuditEntry], openapi_extra=audited("id"), responses=responses)
    async def audit(id: ReferralId, partner: Partner) -> Any:
        async with runtime.pool.acquire() as conn:
            found = await read_model.audit_of(conn, id, partner)
        if found is None:
            raise Problem(404, _NO_REFERRAL)
        return found

    @api.get("/referrals", response_model=list[Listed])
    async def referrals(
        partner: Partner,
        role: Literal["sender", "receiver"] | None = None,
        status: Annotated[str | None, text(max_length=32)] = None,
        hub: Annotated[str | None, text(max_length=64, description="only those at this hub")] = None,
        service: Annotated[str | None, text(max_length=64, description="only those to this service")] = None,
        offset: Annotated[int, Query(ge=0, le=1_000_000, description="skip this many")] = 0,
        limit: Annotated[int, Query(ge=1, le=200)] = 200,
    ) -> Any:
        async with runtime.pool.acquire() as conn:
            return await read_model.referrals_of(
                conn,
                partner,
                datetime.now(UTC),
                role=role,
                status=status,
                hub=hub,
                service=service,
                offset=offset,
                limit=limit,
            )

    @api.get("/directory", response_model=Directory)
    async def directory(who: Authenticated) -> Any:
        async with runtime.pool.acquire() as conn:
            return await read_model.directory(conn)

    @api.get(
        "/report",
        responses={
            200: {"content": {"text/csv": {}, "text/plain": {}}},
            400: {"description": "not whole months, more than 24 of them, or an unknown group"},
        },
    )
    async def report(
        who: Authenticated,
        group_by: Annotated[str, text(max_length=64)] = ",".join(follow_up.KEYS),
        since: Annotated[str | None, text(max_length=32, description="a month, YYYY-MM")] = None,
        until: Annotated[str | None, text(max_length=32, description="a month, YYYY-MM")] = None,
        format: Literal["json", "csv", "table"] = "json",
    ) -> Response:
        today = datetime.now(reporting.STOCKHOLM).date()
        try:
            period = reporting.period(since, until, today=today)
        except reporting.InvalidPeriod as exc:
            raise Problem(400, str(exc), code=exc.code) from None
        keys = tuple(key for key in group_by.split(",") if key)
        try:
            async with runtime.pool.acquire() as conn:
                rows = follow_up.figures(await count_cells(conn, period, today=today), group_by=keys)
        except ValueError as exc:
            raise Problem(400, str(exc)) from None
        if format == "csv":
            return PlainTextResponse(follow_up.to_csv(rows), media_type="text/csv")
        if format == "table":
            return PlainTextResponse(follow_up.to_table(rows))
        return JSONResponse(
            {
                "suppressed_below": reporting.SUPPRESS_BELOW,
                "since": f"{period.first:%Y-%m}",
                "until": f"{period.last:%Y-%m}",
                "group_by": list(keys),
                # a coarser row adds up the finest cells as shown: a suppressed figure counts 0
                "totals_leave_out_suppressed": set(keys) != set(follow_up.KEYS),
                "rows": [{**{k: r.key(k) for k in keys}, **r.figures} for r in rows],
            }
        )

    @api.get(
        "/data-key",
        response_model=DataKeyCopy,
        openapi_extra=audited("participant_ref"),
        responses={404: {"description": "no copy for the caller: never shared with it, or the resident erased"}},
    )
    async def data_key(
        participant_ref: Annotated[str, text(min_length=1, max_length=128)],
        partner: Partner,
    ) -> Any:
        async with runtime.pool.acquire() as conn:
            sealed_key = await partners_copy(conn, participant_ref, partner)
        if sealed_key is None:
            raise Problem(404, "you hold no data key for this resident (none shared, or erased)")
        return signed_answer(runtime.signer, participant_ref, partner, sealed_key, datetime.now(UTC))

    operators: dict[int | str, dict[str, Any]] = {
        400: {"description": "the body is not JSON"},
        409: {"description": "refused: the reason and its code say why"},
    }

    @api.put(
        "/partners/{partner_id}",
        response_model=PartnerEntry,
        dependencies=[Depends(requires(OPERATOR))],
        responses=operators,
    )
    async def admit(partner_id: PartnerId, admission: PartnerAdmission) -> Any:
        async with cast(UnitOfWork, runtime.unit_of_work()) as uow:
            try:
                partner, changed = await admit_partner(
                    uow, partner_id, admission.name, admission.signing_key, admission.encryption_key
                )
            except (Refused, AdmissionRefused) as refused:
                raise Problem(409, refused.reason, code=refused.code) from None
        return PartnerEntry(partner_id=partner.id, name=partner.name, status=partner.status, changed=changed)

    @api.put(
        "/partners/{partner_id}/standing",
        response_model=PartnerEntry,
        dependencies=[Depends(requires(OPERATOR))],
        responses={**operators, 404: {"description": "no such partner"}},
    )
    async def standing(partner_id: PartnerId, standing: PartnerStanding) -> Any:
        async with cast(UnitOfWork, runtime.unit_of_work()) as uow:
            try:
                partner, changed = await change_standing(uow, partner_id, standing.status)
            except (Refused, AdmissionRefused) as refused:
                raise Problem(
                    404 if refused.code == "partner-unknown" else 409, refused.reason, code=refused.code
                ) from None
        return PartnerEntry(partner_id=partner.id, name=partner.name, status=partner.status, changed=changed)

    return api


ROUTES = (router, hsds.router)
