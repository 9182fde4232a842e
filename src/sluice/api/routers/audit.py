"""The audit log."""

from __future__ import annotations

from fastapi import APIRouter

from sluice.api.deps import CtxDep, PlatformDep
from sluice.core.audit import AuditEvent

router = APIRouter(prefix="/api/v1", tags=["audit"])


@router.get("/audit")
def audit(ctx: CtxDep, platform: PlatformDep, limit: int = 100) -> list[AuditEvent]:
    """Recent changes (who, what, when), newest first; admins only."""
    return platform.audit.list(ctx, limit=limit)
