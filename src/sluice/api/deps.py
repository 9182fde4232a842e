"""Request dependencies: who is calling (bearer token) and in which project."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from sluice.api.middleware import PRINCIPAL
from sluice.core.context import Ctx, Principal
from sluice.core.projects.service import DEFAULT_PROJECT
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
    x_sluice_project: Annotated[str | None, Header()] = None,
) -> Ctx:
    """Every /api route depends on this: no valid API token, no answer (web session
    secrets are refused here; they work only in the web UI). Requests with a body were
    authenticated before it was read (``sluice.api.middleware.Authenticate``)."""
    found: Principal | None = request.scope.get(PRINCIPAL)
    project = x_sluice_project or DEFAULT_PROJECT

    def resolve() -> Ctx:  # one trip to a worker thread for both lookups
        principal = found or platform.auth.authenticate(token, client=client_address(request))
        return platform.context(principal, project)

    return await run_in_threadpool(resolve)


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
