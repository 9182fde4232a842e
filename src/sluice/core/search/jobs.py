"""Job handlers for views."""

from __future__ import annotations

from typing import Any, Protocol

from sluice.core.jobs.context import JobContext
from sluice.core.jobs.registry import job_handler
from sluice.core.search.eval_service import KIND_EVAL_RAG, KIND_EVAL_RETRIEVAL, EvalService, RagEval
from sluice.core.views.service import KIND_SYNC, ViewService
from sluice.core.views.sync import ViewSync


class Uses(Protocol):
    """What the handlers use of the composition root."""

    @property
    def views(self) -> ViewService: ...
    @property
    def evals(self) -> EvalService: ...
    @property
    def rag_evals(self) -> RagEval: ...


@job_handler(KIND_SYNC, permission="views.write")
def sync_view(platform: Uses, job: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    return ViewSync(platform.views, job, str(params["view"])).run()


@job_handler(KIND_EVAL_RETRIEVAL, permission="views.write")
def eval_retrieval(platform: Uses, job: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    return platform.evals.run_retrieval(job, params)


@job_handler(KIND_EVAL_RAG, permission="views.write")
def eval_rag(platform: Uses, job: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    return platform.rag_evals.run(job, params)
