"""Lineage: where a dataset version, run, model version or alias came from, and what came
of it; and the event log it is built from."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from sluice.api.deps import CtxDep, PlatformDep
from sluice.core.events import Event, SubscriberState
from sluice.core.lineage import MAX_DEPTH, MAX_NODES, REF_HELP, Direction, LineageGraph

router = APIRouter(prefix="/api/v1", tags=["lineage"])


@router.get("/lineage")
def lineage(ctx: CtxDep, platform: PlatformDep,
            ref: Annotated[str, Query(max_length=600, description=REF_HELP)],
            direction: Direction = Direction.UPSTREAM,
            depth: Annotated[int, Query(ge=1, le=MAX_DEPTH)] = 20,
            limit: Annotated[int, Query(ge=1, le=MAX_NODES)] = 500) -> LineageGraph:
    """The lineage graph around ``ref``: upstream (what it came from), downstream or both."""
    return platform.lineage.graph(ctx, ref, direction=direction, depth=depth, limit=limit)


@router.get("/events")
def list_events(ctx: CtxDep, platform: PlatformDep, after: Annotated[int, Query(ge=0)] = 0,
                kind: str | None = None,
                limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[Event]:
    """The project's domain events after id ``after``, oldest first."""
    return platform.events.list(ctx, after=after, kind=kind, limit=limit)


@router.get("/events/subscribers")
def subscribers(ctx: CtxDep, platform: PlatformDep) -> list[SubscriberState]:
    """Each subscriber of the event log: its position, lag and last failure."""
    return platform.events.subscribers()
