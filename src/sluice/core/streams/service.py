"""Stream sources: long-running jobs that turn a stream into dataset versions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sluice.core.context import Ctx, Role
from sluice.core.datasets.refs import parse_ref
from sluice.core.jobs.models import JobInfo
from sluice.errors import InvalidInput

if TYPE_CHECKING:
    from sluice.platform import Platform

KIND_REDIS = "stream.redis"


class StreamService:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def consume_redis(
        self, ctx: Ctx, dataset: str, *, url: str = "redis://127.0.0.1:6379/0",
        stream: str, group: str = "sluice", batch_rows: int = 500,
        batch_seconds: float = 1.0, key_column: str | None = None,
        stop_after_idle: float | None = None,
    ) -> JobInfo:
        """Start a job that commits micro-batches from a Redis stream into ``dataset``."""
        ctx.require(Role.EDITOR, "start stream consumers")
        parse_ref(dataset)
        if not url.startswith(("redis://", "rediss://", "unix://")):
            raise InvalidInput("the Redis URL must start with redis://, rediss:// or unix://",
                               code="invalid_url")
        if not stream or not 1 <= batch_rows <= self.platform.settings.max_append_rows:
            raise InvalidInput("give a stream name and batch_rows within max_append_rows",
                               code="invalid_stream")
        if not 0.05 <= batch_seconds <= 3600:
            raise InvalidInput("batch_seconds must be 0.05..3600", code="invalid_stream")
        params = {"url": url, "stream": stream, "group": group, "dataset": dataset,
                  "batch_rows": batch_rows, "batch_seconds": batch_seconds,
                  "key_column": key_column, "stop_after_idle": stop_after_idle}
        return self.platform.jobs.submit(ctx, KIND_REDIS, params)
