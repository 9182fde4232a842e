"""The OpenAI API surface (``/v1/models``, ``/v1/embeddings``, ``/v1/chat/completions``)
over Sluice's own models, so OpenAI clients and other tools can use them; the same bearer
tokens apply, and every call is bounded and metered by ``sluice.core.rag.chat``."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from sluice.api.cancel import MODELS, llm_turn, relay, run_cancellable
from sluice.api.deps import CtxDep, PlatformDep
from sluice.core.rag import CHAT_MODEL, EMBEDDING_MODEL, MAX_INPUTS, MAX_MESSAGES
from sluice.ids import new_id
from sluice.inference.llms import Usage

router = APIRouter(prefix="/v1", tags=["openai"])
MAX_CONTENT = 1_000_000  # characters per message; the context limit refuses far less


class EmbeddingsRequest(BaseModel):
    model: str = EMBEDDING_MODEL
    input: str | Annotated[list[str], Field(max_length=MAX_INPUTS)]


class ChatMessage(BaseModel):
    role: str = Field(max_length=64)
    content: str = Field(max_length=MAX_CONTENT)


class ChatRequest(BaseModel):
    model: str = CHAT_MODEL
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    max_tokens: int | None = Field(None, ge=1)
    stream: bool = False
    temperature: float | None = None  # greedy decoding; accepted for compatibility


@router.get("/models")
def models(ctx: CtxDep, platform: PlatformDep) -> dict[str, Any]:
    """The models this server answers with: the bundled ones, and the fine-tuned language
    models registered in the caller's project (as ``name/version``)."""
    tuned = platform.language_models.names(ctx)
    return {"object": "list", "data": [
        {"id": m, "object": "model", "created": 0, "owned_by": "sluice"}
        for m in (CHAT_MODEL, EMBEDDING_MODEL, *tuned)]}


@router.post("/embeddings")
async def embeddings(body: EmbeddingsRequest, ctx: CtxDep,
                     platform: PlatformDep) -> dict[str, Any]:
    """Unit-length embeddings from the bundled all-MiniLM-L6-v2."""
    texts = [body.input] if isinstance(body.input, str) else body.input
    vectors = await MODELS.run(lambda: platform.chat.embed(ctx, texts))
    tokens = sum(len(t.split()) for t in texts)
    return {"object": "list", "model": EMBEDDING_MODEL,
            "data": [{"object": "embedding", "index": i, "embedding": v.tolist()}
                     for i, v in enumerate(vectors)],
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}


@router.post("/chat/completions", response_model=None)
async def chat(body: ChatRequest, request: Request, ctx: CtxDep,
               platform: PlatformDep) -> dict[str, Any] | StreamingResponse:
    """A chat completion (greedy) from the bundled SmolLM2-135M-Instruct, or from a
    registered fine-tuned model named in ``model`` (``name@alias``, ``name/3``); stops when
    the client disconnects."""
    service = platform.chat
    usage, cancel = Usage(), threading.Event()
    messages = [m.model_dump() for m in body.messages]
    max_tokens = service.max_tokens(body.max_tokens)
    reply_id, created = f"chatcmpl-{new_id()}", int(time.time())
    if body.stream:  # checked and admitted now (errors are plain 4xx), generated as read
        pieces = await MODELS.run(lambda: service.chat(
            ctx, messages, max_tokens=max_tokens, usage=usage, cancel=cancel,
            model=body.model))
        return StreamingResponse(_chunks(relay(pieces, cancel), usage, reply_id, created,
                                         body.model),
                                 media_type="text/event-stream")
    async with llm_turn():  # wait for the model here, holding no thread
        text = await run_cancellable(request, lambda: "".join(service.chat(
            ctx, messages, max_tokens=max_tokens, usage=usage, cancel=cancel,
            model=body.model)), cancel)
    return {"id": reply_id, "object": "chat.completion", "created": created,
            "model": body.model, "choices": [{
                "index": 0, "message": {"role": "assistant", "content": text},
                "finish_reason": _finish(usage)}],
            "usage": _usage(usage)}


async def _chunks(pieces: AsyncIterator[str], usage: Usage, reply_id: str,
                  created: int, model: str) -> AsyncIterator[str]:
    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        body = {"id": reply_id, "object": "chat.completion.chunk", "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        return f"data: {json.dumps(body)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    async for piece in pieces:
        yield chunk({"content": piece})
    yield chunk({}, _finish(usage), usage=_usage(usage))
    yield "data: [DONE]\n\n"


def _finish(usage: Usage) -> str:
    return "length" if usage.stopped_by in ("length", "timeout", "cancelled") else "stop"


def _usage(usage: Usage) -> dict[str, int]:
    return {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens,
            "total_tokens": usage.prompt_tokens + usage.completion_tokens}
