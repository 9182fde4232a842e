"""Job handler for ingest."""

from __future__ import annotations

from typing import Any, Protocol

from sluice.core.ingest.service import KIND_INGEST, IngestRequest, IngestService
from sluice.core.jobs.context import JobContext
from sluice.core.jobs.registry import job_handler


class Uses(Protocol):
    """What the handler uses of the composition root."""

    @property
    def ingest(self) -> IngestService: ...


@job_handler(KIND_INGEST)
def ingest(platform: Uses, job: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    return platform.ingest.run(job, IngestRequest.model_validate(params))
