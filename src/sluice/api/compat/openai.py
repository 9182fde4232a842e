"""The OpenAI API surface (``/v1/models``, ``/v1/embeddings``, ``/v1/chat/completions``)
over Sluice's own models, so OpenAI clients and other tools can use them; the same bearer
tokens apply."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from sluice.api.deps import CtxDep, PlatformDep
from sluice.errors import InvalidInput
from sluice.ids import new_id
from sluice.models.embedders import get_embedder
from sluice.models.llms import Usage, get_llm

router = APIRouter(prefix="/v1", tags=["openai"])
EMBEDDING_MODEL = "all-MiniLM-L6-v2"
CHAT_MODEL = "smollm2"
MAX_INPUTS = 2048


class EmbeddingsRequest(BaseModel):
    model: str = EMBEDDING_MODEL
    input: str | list[str]


class ChatMessage(BaseModel):
    role: str
    content: str


class ChatRequest(BaseModel):
    model: str = CHAT_MODEL
    messages: list[ChatMessage] = Field(min_length=1)
    max_tokens: int | None = None
    stream: bool = False
    temperature: float | None = None  # greedy decoding; accepted for compatibility


@router.get("/models")
def models(ctx: CtxDep) -> dict[str, Any]:
    """The models this server answers with."""
    return {"object": "list", "data": [
        {"id": m, "object": "model", "created": 0, "owned_by": "sluice"}
        for m in (CHAT_MODEL, EMBEDDING_MODEL)]}


@router.post("/embeddings")
def embeddings(body: EmbeddingsRequest, ctx: CtxDep, platform: PlatformDep) -> dict[str, Any]:
    """Unit-length embeddings from the bundled all-MiniLM-L6-v2."""
    texts = [body.input] if isinstance(body.input, str) else body.input
    if not texts or len(texts) > MAX_INPUTS:
        raise InvalidInput(f"give 1..{MAX_INPUTS} inputs", code="invalid_input")
    vectors = get_embedder("minilm", platform.settings).embed(texts)
    tokens = sum(len(t.split()) for t in texts)
    return {"object": "list", "model": EMBEDDING_MODEL,
            "data": [{"object": "embedding", "index": i, "embedding": v.tolist()}
                     for i, v in enumerate(vectors)],
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}


@router.post("/chat/completions", response_model=None)
def chat(body: ChatRequest, ctx: CtxDep,
         platform: PlatformDep) -> dict[str, Any] | StreamingResponse:
    """A chat completion from the bundled SmolLM2-135M-Instruct (greedy)."""
    cap = platform.settings.llm_max_tokens
    max_tokens = min(body.max_tokens or cap, cap)
    llm = get_llm(platform.settings, "smollm2")
    usage = Usage()
    messages = [m.model_dump() for m in body.messages]
    pieces = llm.stream(messages, max_tokens=max_tokens, usage=usage)
    reply_id, created = f"chatcmpl-{new_id()}", int(time.time())
    if body.stream:
        return StreamingResponse(_chunks(pieces, usage, reply_id, created),
                                 media_type="text/event-stream")
    text = "".join(pieces)
    return {"id": reply_id, "object": "chat.completion", "created": created,
            "model": CHAT_MODEL, "choices": [{
                "index": 0, "message": {"role": "assistant", "content": text},
                "finish_reason": _finish(usage)}],
            "usage": _usage(usage)}


def _chunks(pieces: Iterator[str], usage: Usage, reply_id: str, created: int) -> Iterator[str]:
    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        body = {"id": reply_id, "object": "chat.completion.chunk", "created": created,
                "model": CHAT_MODEL,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        return f"data: {json.dumps(body)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    for piece in pieces:
        yield chunk({"content": piece})
    yield chunk({}, _finish(usage), usage=_usage(usage))
    yield "data: [DONE]\n\n"


def _finish(usage: Usage) -> str:
    return "length" if usage.stopped_by == "length" else "stop"


def _usage(usage: Usage) -> dict[str, int]:
    return {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens,
            "total_tokens": usage.prompt_tokens + usage.completion_tokens}
