"""Jobs: list, inspect, logs, cancel."""

from __future__ import annotations

from fastapi import APIRouter

from sluice.api.deps import CtxDep, PlatformDep
from sluice.core.jobs import JobInfo, JobLog, JobState

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])


@router.get("")
def list_jobs(ctx: CtxDep, platform: PlatformDep, state: JobState | None = None,
              kind: str | None = None, limit: int = 50) -> list[JobInfo]:
    return platform.jobs.list(ctx, state=state, kind=kind, limit=limit)


@router.get("/{job_id}")
def get_job(job_id: str, ctx: CtxDep, platform: PlatformDep) -> JobInfo:
    return platform.jobs.get(ctx, job_id)


@router.get("/{job_id}/logs")
def job_logs(job_id: str, ctx: CtxDep, platform: PlatformDep, after: int = 0) -> list[JobLog]:
    return platform.jobs.logs(ctx, job_id, after=after)


@router.post("/{job_id}/cancel")
def cancel_job(job_id: str, ctx: CtxDep, platform: PlatformDep) -> JobInfo:
    return platform.jobs.cancel(ctx, job_id)
