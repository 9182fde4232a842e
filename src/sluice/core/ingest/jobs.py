"""Job handler for ingest."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sluice.core.ingest.service import KIND_INGEST, IngestRequest
from sluice.core.jobs.context import JobContext
from sluice.core.jobs.registry import job_handler

if TYPE_CHECKING:
    from sluice.platform import Platform


@job_handler(KIND_INGEST)
def ingest(platform: Platform, job: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    return platform.ingest.run(job, IngestRequest.model_validate(params))
