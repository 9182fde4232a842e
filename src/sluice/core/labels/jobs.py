"""The job that embeds a label schema's texts ahead of active learning, so the first
queue request on a large dataset does not wait for it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sluice.core.jobs.context import JobContext
from sluice.core.jobs.registry import job_handler

if TYPE_CHECKING:
    from sluice.core.labels.service import UsesLabels

KIND_VECTORS = "labels.vectors"


@job_handler(KIND_VECTORS, permission="labels.write")
def embed_schema_texts(platform: UsesLabels, job: JobContext,
                       params: dict[str, Any]) -> dict[str, Any]:
    dataset, schema = params["dataset"], params["schema"]
    column = platform.labels.schema(job.ctx, dataset, schema).column
    table = platform.labels.datasets.to_arrow(job.ctx, dataset, columns=["_key", column])
    missing = platform.labels.vectors_missing(job.ctx, dataset, schema, table)

    def progress(done: int, total: int) -> None:
        job.check_cancelled()
        job.progress(done, total, f"{done:,} of {total:,} texts embedded")

    vectors = platform.labels.vectors(job.ctx, dataset, schema, table, on_progress=progress)
    return {"rows": len(vectors), "embedded": missing}
