"""Stream consumers: start one, watch them run."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from sluice.api.deps import PlatformDep
from sluice.core.jobs import JobState
from sluice.core.streams import KIND_REDIS
from sluice.web.session import WebCtx
from sluice.web.twin import twin

router = APIRouter(include_in_schema=False)


@twin(router, "/streams", "streams.html")
def streams_page(request: Request, ctx: WebCtx, platform: PlatformDep) -> dict[str, Any]:
    consumers = platform.jobs.list(ctx, kind=KIND_REDIS, limit=100)
    return {"title": "Streams", "consumers": consumers,
            "running": [j for j in consumers if not j.state.finished],
            "datasets": [d.name for d in platform.datasets.list(ctx)],
            "states": [s.value for s in JobState]}


@router.post("/streams/redis")
def start_redis(ctx: WebCtx, platform: PlatformDep, dataset: Annotated[str, Form()],
                stream: Annotated[str, Form()],
                url: Annotated[str, Form()] = "redis://127.0.0.1:6379/0",
                group: Annotated[str, Form()] = "sluice",
                batch_seconds: Annotated[float, Form()] = 1.0) -> RedirectResponse:
    job = platform.streams.consume_redis(ctx, dataset, url=url, stream=stream, group=group,
                                         batch_seconds=batch_seconds)
    return RedirectResponse(f"/jobs/{job.id}?back=/streams", status_code=303)
