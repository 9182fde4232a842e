"""Stream sources: long-running jobs that turn a stream into dataset versions."""

from __future__ import annotations

from sluice.core.context import Ctx
from sluice.core.datasets.refs import parse_ref
from sluice.core.jobs.models import JobInfo
from sluice.core.jobs.service import JobService
from sluice.core.streams.urls import parse_stream_url
from sluice.errors import Conflict, InvalidInput
from sluice.settings import Settings

KIND_REDIS = "stream.redis"


class StreamService:
    def __init__(self, jobs: JobService, settings: Settings) -> None:
        self.jobs = jobs
        self.settings = settings

    def consume_redis(
        self, ctx: Ctx, dataset: str, *, url: str = "redis://127.0.0.1:6379/0",
        stream: str, group: str = "sluice", batch_rows: int = 500,
        batch_seconds: float = 1.0, key_column: str | None = None,
        stop_after_idle: float | None = None,
    ) -> JobInfo:
        """Start a job that commits micro-batches from a Redis stream into ``dataset``."""
        ctx.require("datasets.write", "start stream consumers")
        parse_ref(dataset)
        settings = self.settings
        target = parse_stream_url(url, settings.stream_hosts)
        if not stream or not 1 <= batch_rows <= settings.max_append_rows:
            raise InvalidInput("give a stream name and batch_rows within max_append_rows",
                               code="invalid_stream")
        if not 0.05 <= batch_seconds <= 3600:
            raise InvalidInput("batch_seconds must be 0.05..3600", code="invalid_stream")
        if self.jobs.active(KIND_REDIS) >= settings.stream_workers:
            raise Conflict(f"{settings.stream_workers} stream consumers are running already "
                           "(stream_workers); cancel one first", code="too_many_consumers",
                           details={"limit": settings.stream_workers})
        params = {"url": target.public, "stream": stream, "group": group, "dataset": dataset,
                  "batch_rows": batch_rows, "batch_seconds": batch_seconds,
                  "key_column": key_column, "stop_after_idle": stop_after_idle}
        secrets = {"url": target.secret} if target.secret else None
        return self.jobs.submit(ctx, KIND_REDIS, params, secrets=secrets)
