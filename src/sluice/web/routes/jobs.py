"""Jobs with live progress."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from sluice.api.deps import PlatformDep
from sluice.web.links import internal_path
from sluice.web.session import WebCtx
from sluice.web.templating import templates
from sluice.web.twin import twin

router = APIRouter(include_in_schema=False)


@twin(router, "/jobs", "jobs.html")
def jobs_page(request: Request, ctx: WebCtx, platform: PlatformDep) -> dict[str, Any]:
    return {"title": "Jobs", "jobs": platform.jobs.list(ctx, limit=100)}


@twin(router, "/jobs/{job_id}", "job.html")
def job_page(request: Request, job_id: str, ctx: WebCtx, platform: PlatformDep,
             back: str | None = None) -> dict[str, Any]:
    job = platform.jobs.get(ctx, job_id)
    return {"title": f"Job {job.kind}", "job": job, "logs": platform.jobs.logs(ctx, job_id),
            "back": internal_path(back)}


@router.get("/jobs/{job_id}/status", response_class=HTMLResponse)
def job_status(request: Request, job_id: str, ctx: WebCtx, platform: PlatformDep,
               back: str | None = None) -> HTMLResponse:
    """The live part of the job page (htmx polls it until the job finishes)."""
    data = job_page(request=request, job_id=job_id, ctx=ctx, platform=platform, back=back)
    return templates.TemplateResponse(request, "_job_status.html", {"page": data})


@router.post("/jobs/{job_id}/cancel")
def cancel(job_id: str, ctx: WebCtx, platform: PlatformDep) -> RedirectResponse:
    platform.jobs.cancel(ctx, job_id)
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)
