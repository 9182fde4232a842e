"""Request dependencies: who is calling (bearer token) and in which project."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from sluice.api.middleware import CTX, PRINCIPAL
from sluice.api.policy import permission_of
from sluice.core.access import admit
from sluice.core.context import Ctx, Principal
from sluice.platform import Platform


def platform_of(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


async def get_platform(request: Request) -> Platform:
    """The platform (async: FastAPI runs a plain function on a worker thread)."""
    return platform_of(request)


_BEARER = HTTPBearer(auto_error=False, description="An API token: `sluice tokens create`.")


async def bearer(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)] = None,
) -> str | None:
    """The token of an ``Authorization: Bearer`` header (declared as OpenAPI security)."""
    return credentials.credentials.strip() if credentials else None


def client_address(request: Request) -> str | None:
    """Who is calling, for counting failed logins (the socket peer; a proxy in front of
    Sluice should be trusted here only if it is the only way in)."""
    return request.client.host if request.client else None


async def get_ctx(
    request: Request,
    platform: Annotated[Platform, Depends(get_platform)],
    token: Annotated[str | None, Depends(bearer)],
    x_sluice_project: Annotated[str | None, Header(
        description="The project to work in (default: the token's, else `default`).")] = None,
) -> Ctx:
    """Every /api route depends on this: no valid API token, no answer (web session
    secrets are refused here; they work only in the web UI), and no answer without the
    permission the route declares in the project asked for. Requests with a body were
    checked before it was read (``sluice.api.middleware.Authenticate``)."""
    admitted: Ctx | None = request.scope.get(CTX)
    if admitted is not None:
        return admitted
    found: Principal | None = request.scope.get(PRINCIPAL)

    def resolve() -> Ctx:  # one trip to a worker thread for the lookups
        principal = found or platform.auth.authenticate(token, client=client_address(request))
        return admit_request(platform, request, principal, x_sluice_project)

    return await run_in_threadpool(resolve)


def admit_request(platform: Platform, request: Request, principal: Principal,
                  project: str | None) -> Ctx:
    """The scope of ``request``: ``principal`` in ``project``, checked against what the
    matched route declares (``sluice.api.policy``)."""
    route = request.scope.get("route")
    need = permission_of(route) if route is not None else None
    action = f"call {request.method} {getattr(route, 'path', request.url.path)}"
    return admit(platform.projects, principal, project or None, need, action)


def authenticate_request(request: Request) -> Principal:
    """The principal behind the request's bearer token (API tokens only), for middleware
    that runs before FastAPI's dependencies."""
    token = bearer_of(request.headers.get("authorization"))
    return platform_of(request).auth.authenticate(token, client=client_address(request))


def bearer_of(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer`` header value."""
    scheme, _, value = (header or "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


PlatformDep = Annotated[Platform, Depends(get_platform)]
CtxDep = Annotated[Ctx, Depends(get_ctx)]
