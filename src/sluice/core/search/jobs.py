"""Job handlers for views."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sluice.core.jobs.context import JobContext
from sluice.core.jobs.registry import job_handler
from sluice.core.search.eval_service import KIND_EVAL_RAG, KIND_EVAL_RETRIEVAL
from sluice.core.views.service import KIND_SYNC
from sluice.core.views.sync import ViewSync

if TYPE_CHECKING:
    from sluice.platform import Platform


@job_handler(KIND_SYNC, permission="views.write")
def sync_view(platform: Platform, job: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    return ViewSync(platform, job, str(params["view"])).run()


@job_handler(KIND_EVAL_RETRIEVAL, permission="views.write")
def eval_retrieval(platform: Platform, job: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    return platform.evals.run_retrieval(job, params)


@job_handler(KIND_EVAL_RAG, permission="views.write")
def eval_rag(platform: Platform, job: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    return platform.rag_evals.run(job, params)
