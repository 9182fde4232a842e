"""Answers with citations (streamed as server-sent events on request) and traces."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from sluice.api.cancel import MODELS, llm_turn, relay, run_cancellable
from sluice.api.deps import CtxDep, PlatformDep
from sluice.core.rag import AskEvent, AskResult, TraceInfo
from sluice.errors import SluiceError

router = APIRouter(prefix="/api/v1", tags=["rag"])


class AskRequest(BaseModel):
    view: str = Field(description="A view, or a dataset with exactly one view.")
    question: str
    k: int = 4
    mode: str = "hybrid"
    where: str | None = None
    max_tokens: int | None = None
    style: str | None = Field(
        None, description="both: the passages' best sentences (cited), then a generated "
                          "answer; extract: no generation; generate: no extract. Default: "
                          "the ask_style setting.")
    model: str | None = Field(
        None, description="smollm2, openai, or a registered fine-tuned model (name@alias, "
                          "name/3). Default: the llm setting.")
    stream: bool = Field(False, description="Send server-sent events: sources, extract, "
                                            "token..., "
                                            "done (the AskResult) or error.")


@router.post("/ask", response_model=AskResult,
             responses={200: {"content": {"text/event-stream": {}}}})
async def ask(body: AskRequest, request: Request, ctx: CtxDep,
              platform: PlatformDep) -> AskResult | StreamingResponse:
    """Answer a question from a view's passages, citing them as [1], [2]... (metered
    against the caller's model budget; a client that disconnects stops the generation)."""
    cancel = threading.Event()
    kwargs: dict[str, Any] = {"k": body.k, "mode": body.mode, "where": body.where,
                              "max_tokens": body.max_tokens, "metered": True, "cancel": cancel,
                              "style": body.style, "model": body.model}
    if not body.stream:
        async with llm_turn():  # wait for the model here, holding no thread
            return await run_cancellable(
                request, lambda: platform.rag.ask(ctx, body.view, body.question, **kwargs),
                cancel)
    events = platform.rag.ask_stream(ctx, body.view, body.question, **kwargs)
    first = await MODELS.run(lambda: next(events))  # input errors: a normal error response
    return StreamingResponse(relay(sse(first, events), cancel), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store"})


def sse(first: AskEvent, rest: Iterator[AskEvent]) -> Iterator[str]:
    """Events as ``event:``/``data:`` lines; a failure mid-stream ends with an error event."""
    yield _event(first)
    try:
        for event in rest:
            yield _event(event)
    except SluiceError as exc:
        yield _event(AskEvent(type="error", data=exc.to_payload()["error"]))


def _event(event: AskEvent) -> str:
    return f"event: {event.type}\ndata: {json.dumps(event.data, default=str)}\n\n"


@router.get("/traces")
def list_traces(ctx: CtxDep, platform: PlatformDep, kind: str | None = None,
                limit: int = 50) -> list[TraceInfo]:
    """Recent traced calls, newest first."""
    return platform.rag.traces.list(ctx, kind=kind, limit=limit)


@router.get("/traces/{trace_id}")
def get_trace(trace_id: str, ctx: CtxDep, platform: PlatformDep) -> TraceInfo:
    """One trace with its spans."""
    return platform.rag.traces.get(ctx, trace_id)
