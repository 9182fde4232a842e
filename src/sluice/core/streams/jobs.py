"""Job handlers for stream sources."""

from __future__ import annotations

from typing import Any, Protocol

from sluice.core.jobs.context import JobContext
from sluice.core.jobs.registry import job_handler
from sluice.core.streams.append import AppendService
from sluice.core.streams.redis_consumer import RedisStreamConsumer, StreamConfig
from sluice.core.streams.service import KIND_REDIS


class Uses(Protocol):
    """What the handler uses of the composition root."""

    @property
    def appends(self) -> AppendService: ...


@job_handler(KIND_REDIS, long_running=True)
def consume_redis(platform: Uses, job: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    cfg = StreamConfig.from_params(params, secret_url=job.secrets.get("url"))

    def commit(rows: list[dict[str, Any]], keys: list[str]) -> int:
        result = platform.appends.append(
            job.ctx, cfg.dataset, rows, row_keys=keys, key_column=cfg.key_column,
            source=f"redis:{cfg.stream}", job_id=job.id)
        return result.version

    stats = RedisStreamConsumer(cfg, job, commit).run()
    return {**stats, "message": f"consumed {stats['rows']} rows in {stats['batches']} batches"}
