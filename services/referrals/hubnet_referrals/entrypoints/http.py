"""Read-only HTTP for staff and partner systems (JSON):

    GET /referral?id=R-…&partner=P                one referral with its full history
    GET /audit?id=R-…&partner=P                   who asked what of it, when, and the answers
    GET /referrals?partner=P[&role=sender|receiver][&status=S]
    GET /directory                                 partners (with public keys), hubs, services
    GET /report[?group_by=hub,month][&since=YYYY-MM][&until=YYYY-MM][&format=json|csv|table]
    GET /data-key?participant_ref=…&partner=P      the resident's data key sealed to P's public key

`partner` says who asks: a referral is shown only to its sender and receiver. (It is a claim
until requests are authenticated: see the trust issue.) A data key copy needs no more than the
claim: only P's private key opens it; the answer is signed by this service, about that resident,
that partner and its time (hubnet_common/sdk/data_key.py checks it). 404 when P holds none (never
shared, or the resident erased).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from faststream.asgi import AsgiResponse, get

from hubnet_common.sdk.data_key import signed_answer
from hubnet_common.service import reporting
from hubnet_common.service.http import json_response, problem, query
from hubnet_common.service.runtime import Runtime
from hubnet_referrals.adapters import read_model
from hubnet_referrals.adapters.connection import Connection
from hubnet_referrals.adapters.data_keys import partners_copy
from hubnet_referrals.adapters.follow_up_query import count_cells
from hubnet_referrals.domain import follow_up


def _lookup(
    path: str,
    names: tuple[str, str],
    read: Callable[[Connection, str, str], Awaitable[Any]],
    not_found: Callable[[dict[str, str]], str],
):
    """A route that reads one thing named by two query parameters, 404 when there is none (e.g. a
    referral answered only to its sender and receiver)."""

    def route(runtime: Runtime):
        @get
        async def lookup(scope: Any) -> AsgiResponse:
            q = query(scope)
            if not all(q.get(name) for name in names):
                return problem(f"give {' and '.join(names)}", 400)
            async with runtime.pool.acquire() as conn:
                found = await read(conn, *(q[name] for name in names))
            if found is None:
                return problem(not_found(q), 404)
            return json_response(found)

        return path, lookup

    return route


def _no_referral(q: dict[str, str]) -> str:
    return f"no referral {q['id']} for {q['partner']}"


referral_route = _lookup("/referral", ("id", "partner"), read_model.referral_with_history, _no_referral)
audit_route = _lookup("/audit", ("id", "partner"), read_model.audit_of, _no_referral)


def data_key_route(runtime: Runtime):
    """The copy is sealed to the partner named: of no use to anyone else, so the query needs no
    more proof. The answer is signed, so no one on the way can swap in a copy of their own."""

    async def signed_copy(conn: Connection, participant_ref: str, partner: str) -> dict | None:
        sealed_key = await partners_copy(conn, participant_ref, partner)
        if sealed_key is None:
            return None
        return signed_answer(runtime.signer, participant_ref, partner, sealed_key, datetime.now(UTC))

    return _lookup(
        "/data-key",
        ("participant_ref", "partner"),
        signed_copy,
        lambda q: f"{q['partner']} holds no data key for this resident (none shared, or erased)",
    )(runtime)


def referrals_route(runtime: Runtime):
    @get
    async def referrals(scope: Any) -> AsgiResponse:
        q = query(scope)
        if not q.get("partner"):
            return problem("give partner", 400)
        if q.get("role") not in (None, "sender", "receiver"):
            return problem("role is sender or receiver", 400)
        async with runtime.pool.acquire() as conn:
            found = await read_model.referrals_of(conn, q["partner"], role=q.get("role"), status=q.get("status"))
        return json_response(found)

    return "/referrals", referrals


def directory_route(runtime: Runtime):
    @get
    async def directory(scope: Any) -> AsgiResponse:
        async with runtime.pool.acquire() as conn:
            return json_response(await read_model.directory(conn))

    return "/directory", directory


def report_route(runtime: Runtime):
    @get
    async def report(scope: Any) -> AsgiResponse:
        q = query(scope)
        today = datetime.now(reporting.STOCKHOLM).date()
        try:
            period = reporting.period(q.get("since"), q.get("until"), today=today)
        except reporting.InvalidPeriod as exc:
            return problem(str(exc), 400, code=exc.code)
        try:
            group_by = tuple(k for k in q.get("group_by", ",".join(follow_up.KEYS)).split(",") if k)
            async with runtime.pool.acquire() as conn:
                rows = follow_up.figures(await count_cells(conn, period, today=today), group_by=group_by)
        except ValueError as exc:
            return problem(str(exc), 400)
        shape = q.get("format", "json")
        if shape == "csv":
            return AsgiResponse(follow_up.to_csv(rows).encode(), headers={"content-type": "text/csv"})
        if shape == "table":
            return AsgiResponse(follow_up.to_table(rows).encode(), headers={"content-type": "text/plain"})
        return json_response(
            {
                "suppressed_below": reporting.SUPPRESS_BELOW,
                "since": f"{period.first:%Y-%m}",
                "until": f"{period.last:%Y-%m}",
                "group_by": list(group_by),
                # a coarser row adds up the finest cells as shown: a suppressed figure counts 0
                "totals_leave_out_suppressed": set(group_by) != set(follow_up.KEYS),
                "rows": [{**{k: r.key(k) for k in group_by}, **r.figures} for r in rows],
            }
        )

    return "/report", report


ROUTES = (referral_route, audit_route, referrals_route, directory_route, report_route, data_key_route)
