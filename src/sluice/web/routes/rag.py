"""The Ask page (answers stream in as they are written) and the traces pages."""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from sluice.api.cancel import MODELS, llm_turn, relay, run_cancellable
from sluice.api.deps import PlatformDep
from sluice.api.routers.rag import sse
from sluice.errors import SluiceError
from sluice.web.session import WebCtx
from sluice.web.twin import twin

router = APIRouter(include_in_schema=False)


@twin(router, "/ask", "ask.html")
async def ask_page(request: Request, ctx: WebCtx, platform: PlatformDep, view: str = "",
                   q: str = "", k: int = 4, mode: str = "hybrid",
                   style: str = "") -> dict[str, Any]:
    """The page; its JSON twin answers ``q`` in one piece (for scripts), as the API does:
    metered, waiting for the model on the event loop, stopped if the client leaves."""
    views = await run_in_threadpool(platform.views.list, ctx)
    chosen = view or (views[0].name if views else "")
    style = style or platform.settings.ask_style
    data: dict[str, Any] = {"title": "Ask", "views": views, "view": chosen, "question": q,
                            "k": k, "mode": mode, "style": style, "result": None,
                            "error": None}
    if q.strip() and chosen and request.url.path.endswith(".json"):
        cancel = threading.Event()
        try:
            async with llm_turn():
                data["result"] = await run_cancellable(request, lambda: platform.rag.ask(
                    ctx, chosen, q, k=k, mode=mode, metered=True, cancel=cancel,
                    style=style), cancel)
        except SluiceError as exc:
            data["error"] = exc.to_payload()["error"]
    return data


@router.post("/ask/stream")
async def ask_stream(ctx: WebCtx, platform: PlatformDep, view: Annotated[str, Form()],
                     q: Annotated[str, Form()], k: Annotated[int, Form()] = 4,
                     mode: Annotated[str, Form()] = "hybrid",
                     style: Annotated[str | None, Form()] = None) -> Response:
    cancel = threading.Event()
    events = platform.rag.ask_stream(ctx, view, q, k=k, mode=mode, metered=True,
                                     cancel=cancel, style=style or None)
    try:
        first = await MODELS.run(lambda: next(events))
    except SluiceError as exc:
        return JSONResponse(exc.to_payload(), status_code=exc.http_status)
    return StreamingResponse(relay(sse(first, events), cancel), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store"})


@twin(router, "/traces", "traces.html")
def traces_page(request: Request, ctx: WebCtx, platform: PlatformDep,
                kind: str | None = None) -> dict[str, Any]:
    return {"title": "Traces", "traces": platform.rag.traces.list(ctx, kind=kind, limit=200)}


@twin(router, "/traces/{trace_id}", "trace.html")
def trace_page(request: Request, trace_id: str, ctx: WebCtx,
               platform: PlatformDep) -> dict[str, Any]:
    trace = platform.rag.traces.get(ctx, trace_id)
    total = max(trace.duration_ms, 1e-6)
    bars = [{"name": s.name, "left": 100 * s.start_ms / total,
             "width": max(0.5, 100 * s.duration_ms / total), "ms": s.duration_ms}
            for s in trace.spans]
    return {"title": f"Trace {trace.id}", "trace": trace, "bars": bars}
