"""The lineage page (a drawn graph, each node a link to its page) and the event log page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from sluice.api.deps import PlatformDep
from sluice.core.lineage import Direction
from sluice.web.layout import layout
from sluice.web.session import WebCtx
from sluice.web.twin import twin

router = APIRouter(include_in_schema=False)
STARTS = ("dataset.committed", "view.synced", "labels.committed", "model.alias_moved",
          "model.version_created", "run.finished")


@twin(router, "/lineage", "lineage.html")
def lineage_page(request: Request, ctx: WebCtx, platform: PlatformDep, ref: str = "",
                 direction: Direction = Direction.UPSTREAM, depth: int = 20) -> dict[str, Any]:
    """With ``ref``: its graph, drawn. Without: recent things to start from."""
    data: dict[str, Any] = {"title": "Lineage", "ref": ref, "direction": direction.value,
                            "depth": depth, "graph": None, "drawing": None,
                            "directions": [d.value for d in Direction]}
    if ref.strip():
        graph = platform.lineage.graph(ctx, ref, direction=direction, depth=depth)
        data.update(title=f"Lineage of {ref}", graph=graph, drawing=layout(graph))
    else:
        data["starts"] = _starts(platform.events.recent(ctx, limit=500))
    return data


def _starts(events: list[Any]) -> list[dict[str, str]]:
    seen: dict[str, dict[str, str]] = {}
    for event in events:  # newest first
        if event.kind in STARTS and len(seen) < 20:  # a subject is a lineage reference
            seen.setdefault(event.subject, {"ref": event.subject, "kind": event.kind,
                                            "when": str(event.at)[:19]})
    return list(seen.values())


@twin(router, "/events", "events.html")
def events_page(request: Request, ctx: WebCtx, platform: PlatformDep, after: int = 0,
                kind: str | None = None) -> dict[str, Any]:
    return {"title": "Events", "events": platform.events.list(ctx, after=after, kind=kind,
                                                              limit=200),
            "subscribers": platform.events.subscribers(), "kind": kind or ""}
