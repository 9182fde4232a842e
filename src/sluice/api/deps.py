"""Request dependencies: who is calling (bearer token) and in which project."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from sluice.core.context import Ctx
from sluice.core.projects.service import DEFAULT_PROJECT
from sluice.platform import Platform


def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def bearer(authorization: Annotated[str | None, Header()] = None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def get_ctx(
    platform: Annotated[Platform, Depends(get_platform)],
    token: Annotated[str | None, Depends(bearer)],
    x_sluice_project: Annotated[str | None, Header()] = None,
) -> Ctx:
    """Every /api route depends on this: no valid token, no answer."""
    principal = platform.auth.authenticate(token)
    return platform.context(principal, x_sluice_project or DEFAULT_PROJECT)


PlatformDep = Annotated[Platform, Depends(get_platform)]
CtxDep = Annotated[Ctx, Depends(get_ctx)]
