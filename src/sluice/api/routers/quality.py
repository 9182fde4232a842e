"""Quality reports and redaction."""

from __future__ import annotations

from fastapi import APIRouter

from sluice.api.deps import CtxDep, PlatformDep
from sluice.core.jobs import JobInfo
from sluice.core.quality import QualityReport

router = APIRouter(prefix="/api/v1/datasets", tags=["quality"])


@router.post("/{ref}/quality", status_code=202)
def run_quality(ref: str, ctx: CtxDep, platform: PlatformDep) -> JobInfo:
    """Start computing the quality report of a version."""
    return platform.quality.run(ctx, ref)


@router.get("/{ref}/quality")
def get_quality(ref: str, ctx: CtxDep, platform: PlatformDep) -> QualityReport:
    return platform.quality.get(ctx, ref)


@router.post("/{name}/redact", status_code=202)
def redact(name: str, ctx: CtxDep, platform: PlatformDep) -> JobInfo:
    """Start a job committing a version with personal data masked."""
    return platform.quality.redact(ctx, name)
