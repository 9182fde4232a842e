"""The job that runs the no-code labeling functions: off the request, cancellable, and
bounded as a whole by ``lf_apply_seconds`` (a catastrophic pattern or a slow SQL condition
cannot hold a request or a worker for long)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sluice.core.jobs.context import JobContext
from sluice.core.jobs.registry import job_handler
from sluice.core.labels.functions import SERVER_KINDS

if TYPE_CHECKING:
    from sluice.core.labels.service import UsesLabels

KIND_APPLY = "labels.apply"


@job_handler(KIND_APPLY, permission="labels.write")
def apply_functions(platform: UsesLabels, job: JobContext,
                    params: dict[str, Any]) -> dict[str, Any]:
    dataset, schema = params["dataset"], params["schema"]
    functions = platform.labels.functions.apply(job.ctx, dataset, schema, params.get("names"),
                                                job=job)
    names = params.get("names")
    ran = [f for f in functions if f.kind in SERVER_KINDS and (not names or f.name in names)]
    failed = {f.name: f.applied["error"] for f in ran if f.applied.get("error")}
    applied = [f.name for f in ran if f.name not in failed]
    message = f"{len(applied)} functions applied" + (f", {len(failed)} failed" if failed else "")
    return {"applied": applied, "failed": failed, "message": message}
