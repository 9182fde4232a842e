"""Request dependencies: who is calling (bearer token) and in which project."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from sluice.api.middleware import CTX, PRINCIPAL
from sluice.api.policy import permission_of
from sluice.core.access import admit, admit_in, generation, needs_project
from sluice.core.context import Ctx, Principal, workspace_ctx
from sluice.platform import Platform


def platform_of(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


async def get_platform(request: Request) -> Platform:
    """The platform (async: FastAPI runs a plain function on a worker thread)."""
    return platform_of(request)


PROJECT_HEADER = "x-sluice-project"
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


async def get_ctx(request: Request) -> Ctx:
    """Every /api route depends on this: no valid API token, no answer (web session
    secrets are refused here; they work only in the web UI), and no answer without the
    permission the route declares in the project asked for (``X-Sluice-Project``, else the
    token's). Requests with a body were checked before it was read
    (``sluice.api.middleware.Authenticate``). A caller admitted a moment ago is answered
    from memory (``sluice.core.access.recent``).

    The token and the project header are read here rather than through sub-dependencies
    (one dependency is cheaper on every request); ``sluice.api.openapi`` declares both in
    the OpenAPI document of every route that depends on this."""
    admitted: Ctx | None = request.scope.get(CTX)
    if admitted is not None:
        return admitted
    platform = platform_of(request)
    headers = request.headers
    token = bearer_of(headers.get("authorization"))
    project = headers.get(PROJECT_HEADER)
    found: Principal | None = request.scope.get(PRINCIPAL)
    need = need_of(request)
    if found is None:
        quick = recall_api(platform, request, token, project, need)
        if quick is not None:
            return quick
    return await run_in_threadpool(  # one trip to a worker thread for the lookups
        resolve_api, platform, request, token, project, need, found)


def need_of(request: Request) -> str | None:
    route = request.scope.get("route")
    return permission_of(route) if route is not None else None


def _action(request: Request) -> str:
    path = getattr(request.scope.get("route"), "path", None) or request.scope["path"]
    return f"call {request.method} {path}"


def recall_api(platform: Platform, request: Request, token: str | None,
               project: str | None, need: str | None) -> Ctx | None:
    """The context of a caller admitted a moment ago, without a query; None to look up."""
    hit = platform.recent_callers.lookup(token, project or None) if token else None
    if hit is None or (hit.ctx is None and needs_project(need)):
        return None
    client = client_address(request)
    if client is not None:
        platform.auth.failed_logins.check(client)  # a locked-out address stays locked out
    if hit.ctx is None:
        return workspace_ctx(hit.principal) if need is not None else None
    ctx = hit.ctx
    return admit_in(hit.principal, need, _action(request), lambda: ctx)


def resolve_api(platform: Platform, request: Request, token: str | None,
                project: str | None, need: str | None, found: Principal | None) -> Ctx:
    """The caller's context, looked up (and remembered for ``recall_api``)."""
    seen = generation()
    principal = found or platform.auth.authenticate(token, client=client_address(request))
    ctx = admit(platform.projects, principal, project or None, need, _action(request))
    if found is None and token:
        platform.recent_callers.remember(token, project or None, principal,
                                         ctx if needs_project(need) else None, seen)
    return ctx


def admit_request(platform: Platform, request: Request, principal: Principal,
                  project: str | None) -> Ctx:
    """The scope of ``request``: ``principal`` in ``project``, checked against what the
    matched route declares (``sluice.api.policy``)."""
    return admit(platform.projects, principal, project or None, need_of(request),
                 _action(request))


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
