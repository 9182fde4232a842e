"""Job handlers for quality reports and redaction."""

from __future__ import annotations

from typing import Any, Protocol

from sluice.core.jobs.context import JobContext
from sluice.core.jobs.registry import job_handler
from sluice.core.quality.service import KIND_REDACT, KIND_REPORT, QualityService


class Uses(Protocol):
    """What the handlers use of the composition root."""

    @property
    def quality(self) -> QualityService: ...


@job_handler(KIND_REPORT)
def quality_report(platform: Uses, job: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    return platform.quality.compute(job, params["dataset"], int(params["version"]))


@job_handler(KIND_REDACT)
def quality_redact(platform: Uses, job: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    return platform.quality.redact_latest(job, params["dataset"])
