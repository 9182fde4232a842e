"""Chat completions and embeddings for the OpenAI-compatible routes.

Each call is bounded before it starts (message count and prompt tokens against the
context; inputs and characters for embeddings), admitted against the caller's model budget
(``sluice.core.limits.budget``), and stoppable: ``cancel`` (a client that went away, the
budget running out, server shutdown) ends a generation within one token.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from sluice.core.context import Ctx
from sluice.core.limits.budget import (
    Grant,
    ModelBudget,
    embedding_estimate,
    generation_estimate,
)
from sluice.errors import InvalidInput, PayloadTooLarge
from sluice.inference.embedders import get_embedder
from sluice.inference.llms import LLM, Messages, Usage, get_llm

if TYPE_CHECKING:
    from sluice.settings import Settings

CHAT_MODEL = "smollm2"
EMBEDDING_MODEL = "all-MiniLM-L6-v2"
MAX_MESSAGES = 256
MAX_INPUTS = 2048


ChooseLLM = Callable[[Ctx, "str | None"], LLM]  # a model reference to its generator


class ChatService:
    def __init__(self, settings: Settings, budget: ModelBudget,
                 llms: ChooseLLM | None = None) -> None:
        self.settings = settings
        self.budget = budget
        self.llms: ChooseLLM = llms or (lambda _ctx, ref: get_llm(settings, ref))

    def max_tokens(self, requested: int | None) -> int:
        cap = self.settings.llm_max_tokens
        if requested is not None and requested < 1:
            raise InvalidInput("max_tokens must be at least 1", code="invalid_max_tokens")
        return min(requested or cap, cap)

    def chat(self, ctx: Ctx, messages: Messages, *, max_tokens: int, usage: Usage,
             cancel: threading.Event, model: str = CHAT_MODEL) -> Iterator[str]:
        """Check and admit now; the returned iterator generates (and charges the time).
        ``model`` is ``smollm2`` or a registered tuned model (``name@alias``).

        Raises:
            InvalidInput: too many messages, a prompt that does not fit the context, a
                model that is not a language model.
            NotFound: no such registered model.
            RateLimited: the caller's requests or model time for this minute are used up.
        """
        if not 1 <= len(messages) <= MAX_MESSAGES:
            raise InvalidInput(f"send 1..{MAX_MESSAGES} messages", code="invalid_messages")
        llm = self.llms(ctx, model or CHAT_MODEL)
        llm.check(messages, max_tokens)
        # admitted now, so a refusal is a 429 before the response starts, not mid-stream
        grant = self.budget.admit(ctx, generation_estimate(max_tokens))
        unstarted: list[weakref.finalize[Any, Any]] = []
        pieces = self._generate(ctx, llm, messages, max_tokens, usage, cancel, grant,
                                unstarted)
        # a reply dropped before it began (the client left first) costs nothing
        unstarted.append(weakref.finalize(pieces, self.budget.settle, grant, 0.0))
        return pieces

    def _generate(self, ctx: Ctx, llm: LLM, messages: Messages, max_tokens: int,
                  usage: Usage, cancel: threading.Event, grant: Grant,
                  unstarted: list[weakref.finalize[Any, Any]]) -> Iterator[str]:
        for finalizer in unstarted:
            finalizer.detach()
        with self.budget.spend(ctx, cancel, grant=grant) as meter:
            try:
                yield from llm.stream(messages, max_tokens=max_tokens, usage=usage,
                                      cancel=cancel)
            finally:
                meter.waited = usage.waited

    def embed(self, ctx: Ctx, texts: list[str]) -> np.ndarray:
        """Unit-length vectors from the bundled all-MiniLM-L6-v2.

        Raises:
            InvalidInput: no inputs or more than 2,048; PayloadTooLarge: more characters
                than ``max_embed_chars``; RateLimited: the model budget is used up.
        """
        if not 1 <= len(texts) <= MAX_INPUTS:
            raise InvalidInput(f"give 1..{MAX_INPUTS} inputs", code="invalid_input")
        chars = sum(len(t) for t in texts)
        limit = self.settings.max_embed_chars
        if chars > limit:
            raise PayloadTooLarge(f"the inputs hold {chars:,} characters; one request may "
                                  f"embed at most {limit:,} (max_embed_chars): split it",
                                  code="embed_too_large", details={"limit": limit})
        with self.budget.spend(ctx, estimate=embedding_estimate(len(texts), chars)):
            return get_embedder("minilm", self.settings).embed(texts)
