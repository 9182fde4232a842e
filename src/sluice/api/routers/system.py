"""Health and identity."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from sluice import __version__
from sluice.api.deps import CtxDep

router = APIRouter(tags=["system"])


@router.get("/healthz", include_in_schema=False)
def healthz() -> dict[str, str]:
    """Liveness for load balancers: no data, no token."""
    return {"status": "ok"}


@router.get("/api/v1/whoami")
def whoami(ctx: CtxDep) -> dict[str, Any]:
    """The user, role and project of this token."""
    return {"user": ctx.actor.name, "role": str(ctx.actor.role), "project": ctx.project,
            "mode": "remote", "version": __version__}
