"""Health and identity."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from sluice import __version__
from sluice.api.deps import CtxDep
from sluice.api.policy import policy
from sluice.core.access import MEMBER, PUBLIC
from sluice.core.context import identity

router = APIRouter(tags=["system"])


@router.get("/healthz", include_in_schema=False, openapi_extra=policy(permission=PUBLIC))
def healthz() -> dict[str, str]:
    """Liveness for load balancers: no data, no token."""
    return {"status": "ok"}


@router.get("/api/v1/whoami", openapi_extra=policy(permission=MEMBER))
def whoami(ctx: CtxDep) -> dict[str, Any]:
    """The user of this token, the project asked for (``X-Sluice-Project``, else the
    token's, else ``default``), their role there and what it permits."""
    return identity(ctx) | {"mode": "remote", "version": __version__}
