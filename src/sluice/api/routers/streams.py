"""Stream sources."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from sluice.api.deps import CtxDep, PlatformDep
from sluice.core.jobs import JobInfo

router = APIRouter(prefix="/api/v1/streams", tags=["streams"])


class RedisSource(BaseModel):
    dataset: str
    stream: str
    url: str = "redis://127.0.0.1:6379/0"
    group: str = "sluice"
    batch_rows: int = 500
    batch_seconds: float = 1.0
    key_column: str | None = None
    stop_after_idle: float | None = None


@router.post("/redis", status_code=202)
def consume_redis(body: RedisSource, ctx: CtxDep, platform: PlatformDep) -> JobInfo:
    """Start a job committing micro-batches from a Redis stream (cancel the job to stop)."""
    return platform.streams.consume_redis(
        ctx, body.dataset, url=body.url, stream=body.stream, group=body.group,
        batch_rows=body.batch_rows, batch_seconds=body.batch_seconds,
        key_column=body.key_column, stop_after_idle=body.stop_after_idle)
