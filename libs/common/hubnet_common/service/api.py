"""The HTTP side of a hubnet service: a FastAPI app beside FastStream in the same process.

Every route needs a bearer token of the identity provider (`service/auth.py`) unless it is
declared public (`PUBLIC`: the probes, the public calendar). Who asks comes from the token only:
`caller` gives the identity, `partner_of` / `staff_of` / `requires` refuse (403) a caller that is
not one. A route that reads a referral, an audit, a data key copy or an inbox is `audited`: the
access log (`migrations/0004_access_log.sql`) gets a row for every answer, allowed or refused.
The OpenAPI 3.1 document of each service is generated from the routes (`docs/openapi/`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any

import asyncpg
import structlog
from fastapi import Depends, FastAPI, HTTPException, Query, Request, Security
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from hubnet_common.service.auth import Caller, TokenVerifier, Unauthenticated

log = structlog.get_logger(__name__)

PUBLIC: dict[str, Any] = {"security": []}  # openapi_extra of a route anyone may ask
# Text parameters hold no NUL: PostgreSQL's text cannot, and a query with one would fail (500).
NO_NUL = r"^[^\x00]*$"


def text(**constraints: Any) -> Any:
    """A text query parameter: FastAPI's Query with `constraints`, refusing NUL like every other."""
    return Query(pattern=NO_NUL, **constraints)


_bearer = HTTPBearer(
    auto_error=False,
    bearerFormat="JWT",
    description="An access token of the hubnet realm (client credentials, or a staff member's login)",
)
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="hubnet"'}


class Problem(Exception):
    """An answer other than 2xx, with a text that says what to do and nothing about others' data."""

    def __init__(self, status: int, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code  # machine-readable, when there is one


async def caller(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)]
) -> Caller:
    if credentials is None:
        raise HTTPException(401, "a bearer token is needed", headers=_CHALLENGE)
    tokens: TokenVerifier = request.app.state.tokens
    try:
        found = await tokens.verify(credentials.credentials)
    except Unauthenticated as exc:
        log.info("token refused", reason=str(exc), path=request.url.path)
        raise HTTPException(401, "the token is not valid here", headers=_CHALLENGE) from None
    request.state.caller = found
    return found


Authenticated = Annotated[Caller, Depends(caller)]


def partner_of(who: Authenticated) -> str:
    """The partner the caller acts for (a partner's system or one of its staff), else 403."""
    if who.partner is None:
        raise HTTPException(403, "only a partner's system or staff may ask this")
    return who.partner


def staff_of(who: Authenticated) -> str:
    """The staff member asking, else 403 (a system's token is nobody's inbox)."""
    if who.staff_id is None:
        raise HTTPException(403, "only a staff member may ask this")
    return who.staff_id


def requires(*roles: str) -> Callable[[Caller], Caller]:
    """A caller holding one of `roles`, else 403."""

    def check(who: Authenticated) -> Caller:
        if not any(who.has(role) for role in roles):
            raise HTTPException(403, f"this needs the role {' or '.join(roles)}")
        return who

    return check


Partner = Annotated[str, Depends(partner_of)]
StaffMember = Annotated[str, Depends(staff_of)]


def audited(what: str) -> dict[str, Any]:
    """openapi_extra of a route whose every answer the access log records; `what` names the query
    or path parameter that says which object was asked for."""
    return {"x-hubnet-audited": what}


def asked_for(request: Request, what: str) -> str | None:
    return request.query_params.get(what) or request.path_params.get(what)


def service_api(
    name: str,
    *,
    tokens: TokenVerifier,
    pool: Callable[[], asyncpg.Pool],
    routers: Sequence[Any],
    description: str,
) -> FastAPI:
    api = FastAPI(
        title=f"hubnet {name}",
        version="1",
        description=description,
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    api.state.tokens = tokens
    for router in routers:
        api.include_router(router)

    # Starlette's, which FastAPI's is one of: FastAPI raises Starlette's for a body it cannot parse.
    @api.exception_handler(StarletteHTTPException)
    async def http_problem(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": exc.detail}, exc.status_code, headers=exc.headers)

    @api.exception_handler(Problem)
    async def problem(request: Request, exc: Problem) -> JSONResponse:
        return JSONResponse({"error": exc.message, **({"code": exc.code} if exc.code else {})}, exc.status)

    api.add_middleware(AccessLog, pool=pool)
    plain = api.openapi

    def documented() -> dict[str, Any]:
        if api.openapi_schema is None:
            api.openapi_schema = with_refusals(plain())
        return api.openapi_schema

    api.openapi = documented  # type: ignore[method-assign]
    return api


_PROBLEM = {
    "application/json": {
        "schema": {
            "type": "object",
            "properties": {
                "error": {"type": "string", "description": "what went wrong, in plain words"},
                "code": {"type": "string", "description": "machine-readable, when there is one"},
            },
            "required": ["error"],
        }
    }
}
_REFUSALS = {
    "401": {"description": "no valid bearer token (missing, expired, for another service, or not the realm's)"},
    "403": {"description": "a valid token without the right to this"},
}


def with_refusals(document: dict[str, Any]) -> dict[str, Any]:
    """Every route that needs a token says how it refuses; every 4xx has the problem body."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            if operation.get("security") != []:
                for status, refusal in _REFUSALS.items():
                    responses.setdefault(status, dict(refusal))
            for status, response in responses.items():
                if status.startswith("4") and status != "422" and "content" not in response:
                    response["content"] = _PROBLEM
    return document


class AccessLog:
    """One access-log row per answer of an audited route: who (from the token, or nobody), what,
    the answer's status. Refusals are recorded like the rest."""

    def __init__(self, app: ASGIApp, pool: Callable[[], asyncpg.Pool]) -> None:
        self.app = app
        self.pool = pool

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def noting(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noting)
        finally:
            await self._record(scope, status)

    async def _record(self, scope: Scope, status: int) -> None:
        route = scope.get("route")
        what = (getattr(route, "openapi_extra", None) or {}).get("x-hubnet-audited")
        if what is None:
            return
        request = Request(scope)
        who: Caller | None = getattr(request.state, "caller", None)
        try:
            await record_access(
                self.pool(),
                caller=who.who if who else None,
                partner=who.partner if who else None,
                method=scope["method"],
                route=route.path,  # type: ignore[union-attr]
                object_id=(asked_for(request, what) or (who.who if who else "") or "").replace("\x00", "") or None,
                status=status,
            )
        except Exception:
            log.exception("access not recorded", route=route.path, status=status)  # type: ignore[union-attr]


async def record_access(
    pool: asyncpg.Pool,
    *,
    caller: str | None,
    partner: str | None,
    method: str,
    route: str,
    object_id: str | None,
    status: int,
) -> None:
    await pool.execute(
        "INSERT INTO access_log (caller, partner, method, route, object_id, status) VALUES ($1, $2, $3, $4, $5, $6)",
        caller,
        partner,
        method,
        route,
        object_id,
        status,
    )


class ServiceApp:
    """One ASGI app for the process: the lifespan (broker, runtime) is FastStream's, every HTTP
    request goes to the FastAPI app."""

    def __init__(self, streams: ASGIApp, api: FastAPI) -> None:
        self.streams = streams
        self.api = api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.streams(scope, receive, send)
        else:
            await self.api(scope, receive, send)
