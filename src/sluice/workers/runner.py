"""Run one job to its end, whatever executor called us."""

from __future__ import annotations

import logging
import os
import socket
import traceback
from typing import TYPE_CHECKING

from sluice.core.access.service import editor_grants
from sluice.core.context import Principal
from sluice.core.jobs.context import JobContext
from sluice.core.jobs.models import JobState
from sluice.core.jobs.registry import get_handler
from sluice.errors import Cancelled, SluiceError

if TYPE_CHECKING:
    from sluice.platform import Platform

log = logging.getLogger("sluice.jobs")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_job(platform: Platform, job_id: str) -> str:
    """Claim and run a queued job; returns its final state."""
    jobs = platform.jobs
    row = jobs.start(job_id, worker_name())
    if row is None:
        return "skipped"
    ctx = platform.projects.context_by_id(row.project_id, _principal(platform, row.created_by))
    job = JobContext(jobs, job_id, ctx, platform.settings.job_heartbeat_seconds,
                     secrets=row.secrets)
    with job.heartbeat():
        state = _run(platform, job, row.kind, dict(row.params or {}))
    return state


def _run(platform: Platform, job: JobContext, kind: str, params: dict) -> str:  # type: ignore[type-arg]
    jobs = platform.jobs
    try:
        result = get_handler(kind)(platform, job, params)
    except Cancelled as exc:
        jobs.finish(job.id, JobState.CANCELLED, exc.message, error=exc.to_payload()["error"])
        return JobState.CANCELLED
    except SluiceError as exc:
        job.log(f"{exc.code}: {exc.message}", level="ERROR")
        jobs.finish(job.id, JobState.FAILED, exc.message, error=exc.to_payload()["error"])
        return JobState.FAILED
    except Exception as exc:
        log.exception("job %s crashed", job.id)
        job.log(traceback.format_exc(), level="ERROR")
        first = (str(exc).strip().splitlines() or [""])[0][:500]
        error = SluiceError(f"internal error: {type(exc).__name__}: {first} (see the job log)")
        jobs.finish(job.id, JobState.FAILED, error.message, error=error.to_payload()["error"])
        return JobState.FAILED
    jobs.finish(job.id, JobState.SUCCEEDED, str(result.get("message", "done")), result=result)
    return JobState.SUCCEEDED


def _principal(platform: Platform, name: str) -> Principal:
    found = platform.auth.principal_by_name(name)
    return found or Principal(user_id="system", name=name, grants=editor_grants())
