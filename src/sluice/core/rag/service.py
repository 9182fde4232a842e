"""``ask``: hybrid retrieval, an extractive answer (the best sentences of the passages,
cited), a versioned prompt, generation streamed token by token and guarded against loops,
an answer whose [n] markers map to the chunks used, and a trace of every step."""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from sluice.core.context import Ctx
from sluice.core.limits.budget import Meter, generation_estimate
from sluice.core.rag import extract as extractive
from sluice.core.rag.chat import ChooseLLM
from sluice.core.rag.guard import Guard, Linked
from sluice.core.rag.models import AskEvent, AskResult, Citation, check_style
from sluice.core.rag.prompts import DEFAULT_PROMPT, PromptTemplate, get_prompt
from sluice.core.search.models import SearchResults
from sluice.core.traces.service import Tracer, TraceStore
from sluice.errors import InvalidInput, SluiceError
from sluice.inference.llms import LLM, Messages, Usage, get_llm

if TYPE_CHECKING:
    from sluice.core.limits.budget import ModelBudget
    from sluice.core.search.service import SearchService
    from sluice.settings import Settings
    from sluice.storage.metadata.database import Database

MAX_QUESTION_CHARS = 2000
MAX_K = 20
MAX_SOURCE_CHARS = 1500  # per chunk placed in the prompt
MIN_SOURCE_CHARS = 500
PROMPT_TOKENS = 200  # the template around the passages and the question
_CITE = re.compile(r"\[(\d{1,3})\]")
NOTICES = {
    "length": "The answer was cut at {max_tokens} tokens. Ask a narrower question, or allow "
              "longer answers (max tokens, up to llm_max_tokens).",
    "repetition": "The model began repeating itself, so it was stopped and the repeats "
                  "removed; the extract from the sources above is the safer answer.",
    "timeout": "The model ran out of time (llm_timeout_seconds) and the answer is "
               "incomplete.",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class RagService:
    def __init__(self, db: Database, search: SearchService, model_budget: ModelBudget,
                 settings: Settings, llms: ChooseLLM | None = None) -> None:
        self.search, self.model_budget, self.settings = search, model_budget, settings
        self.llms: ChooseLLM = llms or (lambda _ctx, ref: get_llm(settings, ref))
        self.traces = TraceStore(db)

    def ask(self, ctx: Ctx, name: str, question: str, *, k: int = 4, mode: str = "hybrid",
            where: str | None = None, max_tokens: int | None = None,
            on_token: Callable[[str], None] | None = None, metered: bool = False,
            cancel: threading.Event | None = None, style: str | None = None,
            on_extract: Callable[[str], None] | None = None,
            model: str | None = None) -> AskResult:
        """Answer ``question`` from view ``name``; ``on_token`` sees the answer as it grows.

        ``metered`` (the server's routes) admits the call against the caller's model budget
        first and charges the generation's time; ``cancel`` stops the generation;
        ``on_extract`` sees the extract as soon as it is made; ``model`` is a provider
        (``smollm2``, ``openai``) or a registered tuned model (``name@alias``), else the
        configured ``llm``.
        """
        for event in self.ask_stream(ctx, name, question, k=k, mode=mode, where=where,
                                     max_tokens=max_tokens, metered=metered, cancel=cancel,
                                     style=style, model=model):
            if event.type == "token" and on_token is not None:
                on_token(event.data)
            if event.type == "extract" and on_extract is not None:
                on_extract(event.data)
            if event.type == "done":
                return AskResult.model_validate(event.data)
        raise SluiceError("the answer stream ended without a result")  # pragma: no cover

    def ask_stream(self, ctx: Ctx, name: str, question: str, *, k: int = 4,
                   mode: str = "hybrid", where: str | None = None,
                   max_tokens: int | None = None, metered: bool = False,
                   cancel: threading.Event | None = None,
                   style: str | None = None, model: str | None = None) -> Iterator[AskEvent]:
        """Events: ``sources`` (the numbered chunks), ``extract`` (the cited sentences),
        ``token`` (each piece of the generated answer), then ``done`` (the
        :class:`AskResult`). Errors raise, after the trace is saved."""
        question, max_tokens = self._check(question, k, max_tokens)
        style = self._style(style)
        if model and style != "extract":
            self.llms(ctx, model)  # an unknown or unusable model fails before any work
        budget = self.model_budget
        generates = style != "extract"
        grant = (budget.admit(ctx, generation_estimate(max_tokens))
                 if metered and generates else None)
        tracer = Tracer("ask", question)
        inputs = {"view": name, "question": question, "k": k, "mode": mode, "where": where,
                  "style": style, "max_tokens": max_tokens, "model": model}
        meter = (budget.spend(ctx, cancel, grant=grant) if grant is not None
                 else contextlib.nullcontext())
        try:
            with meter as metered_by:
                yield from self._answer(ctx, tracer, inputs, max_tokens, cancel, metered_by)
        except SluiceError as exc:
            self.traces.save(ctx, tracer, status="error", inputs=inputs,
                             outputs={"error": exc.to_payload()["error"]})
            raise

    def _answer(self, ctx: Ctx, tracer: Tracer, inputs: dict[str, Any], max_tokens: int,
                cancel: threading.Event | None, meter: Meter | None) -> Iterator[AskEvent]:
        with tracer.span("retrieval", mode=inputs["mode"], k=inputs["k"]) as attrs:
            found = self.search.search(
                ctx, inputs["view"], inputs["question"], mode=inputs["mode"], k=inputs["k"],
                where=inputs["where"])
            attrs.update(view=f"{found.view}@{found.view_version}",
                         chunks=[h.key for h in found.hits])
        citations = _citations(found)
        yield AskEvent(type="sources", data=[c.model_dump() for c in citations])
        extract = ""
        if inputs["style"] != "generate" and citations:
            extract = self._extract(ctx, tracer, inputs, citations)
            yield AskEvent(type="extract", data=extract)
        usage, llm_name, template = Usage(), "none", get_prompt(DEFAULT_PROMPT)
        parts: list[str] = []
        if not citations:
            parts.append(f"No passage in {found.view} matches the question.")
            yield AskEvent(type="token", data=parts[0])
        elif inputs["style"] != "extract":
            with tracer.span("generation", prompt=template.ref) as attrs:
                llm = self.llms(ctx, inputs.get("model"))
                llm_name = llm.name
                messages = self._fit(llm, template, citations, inputs["question"],
                                     max_tokens)
                yield from self._generate(llm, messages, max_tokens, usage, cancel, meter,
                                          parts)
                attrs.update(llm=llm_name, prompt_tokens=usage.prompt_tokens,
                             completion_tokens=usage.completion_tokens,
                             stopped_by=usage.stopped_by)
        answer = Guard.clean("".join(parts))
        if llm_name != "none":
            answer = extractive.attribute(answer, citations)
        answer = answer or extract  # a loop can leave nothing
        result = self._result(tracer, inputs, found, citations, answer, extract, usage,
                              llm_name, template.ref if llm_name != "none" else "")
        self.traces.save(ctx, tracer, status="ok", inputs=inputs, outputs={
            "answer": result.answer, "extract": extract,
            "cited": [c.key for c in result.citations if c.cited], "llm": llm_name,
            "prompt": result.prompt, "stopped_by": result.stopped_by})
        yield AskEvent(type="done", data=result.model_dump(mode="json"))

    def _extract(self, ctx: Ctx, tracer: Tracer, inputs: dict[str, Any],
                 citations: list[Citation]) -> str:
        with tracer.span("extract") as attrs:
            _, view = self.search.views.lookup(ctx, inputs["view"])
            chosen = extractive.extract(inputs["question"], citations,
                                        lambda texts: self.search.embed(view, texts))
            attrs.update(sentences=len(chosen), cited=[s.number for s in chosen])
        return extractive.render(chosen)

    def _generate(self, llm: LLM, messages: Messages, max_tokens: int, usage: Usage,
                  cancel: threading.Event | None, meter: Meter | None,
                  parts: list[str]) -> Iterator[AskEvent]:
        """Stream the model's pieces, stopping it when the guard sees a loop or a new
        prompt turn (``stopped_by`` says which)."""
        guard, halt = Guard(), Linked(cancel)
        try:
            for piece in llm.stream(messages, max_tokens=max_tokens, usage=usage,
                                    cancel=halt):
                if guard.reason is not None:
                    continue  # the one token that may arrive after the stop
                clean = _CONTROL.sub("", piece)
                parts.append(clean)
                yield AskEvent(type="token", data=clean)
                if guard.check("".join(parts)):
                    halt.set()
        finally:
            if meter is not None:
                meter.waited = usage.waited  # waiting for the model is not charged
        if guard.reason is not None:
            usage.stopped_by = guard.reason

    def _result(self, tracer: Tracer, inputs: dict[str, Any], found: SearchResults,
                citations: list[Citation], answer: str, extract: str, usage: Usage,
                llm: str, prompt: str) -> AskResult:
        cited = {int(n) for n in _CITE.findall(answer + " " + extract)}
        for c in citations:
            c.cited = c.number in cited
        spans = {s.name: s.duration_ms for s in tracer.spans}
        notice = NOTICES.get(usage.stopped_by, "").format(max_tokens=inputs["max_tokens"])
        return AskResult(
            question=inputs["question"], answer=answer, extract=extract,
            style=inputs["style"], citations=citations,
            view=found.view, view_version=found.view_version, mode=found.mode.value,
            prompt=prompt, llm=llm, prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens, stopped_by=usage.stopped_by,
            notice=notice or None, retrieval_ms=spans.get("retrieval", 0.0),
            extract_ms=spans.get("extract", 0.0),
            generation_ms=spans.get("generation", 0.0), trace_id=tracer.id)

    def _style(self, style: str | None) -> str:
        return check_style(style or self.settings.ask_style)

    def _fit(self, llm: LLM, template: PromptTemplate, citations: list[Citation],
             question: str, max_tokens: int) -> Messages:
        """The prompt with as much of the passages as the model's context holds: a first
        guess from the characters, then cut by the tokenizer's count (scripts such as
        Cyrillic or Chinese take more tokens per character than English)."""
        room = self._source_chars(max_tokens, question)
        while True:
            messages = template.messages(sources=_sources_block(citations, room),
                                         question=question)
            try:
                llm.check(messages, max_tokens)
                return messages
            except InvalidInput as exc:
                if exc.code != "prompt_too_long" or room <= MIN_SOURCE_CHARS:
                    raise
                room = max(MIN_SOURCE_CHARS, int(room * 0.6))

    def _source_chars(self, max_tokens: int, question: str) -> int:
        """How many characters of passages fit the model's context beside the template,
        the question and the answer (about 3 characters a token, on the safe side)."""
        tokens = self.settings.llm_context_tokens - max_tokens - PROMPT_TOKENS
        return max(MIN_SOURCE_CHARS, tokens * 3 - len(question))

    def _check(self, question: str, k: int, max_tokens: int | None) -> tuple[str, int]:
        if not isinstance(question, str) or not question.strip():
            raise InvalidInput("the question is empty", code="query_empty")
        if len(question) > MAX_QUESTION_CHARS:
            raise InvalidInput(f"the question is longer than {MAX_QUESTION_CHARS} characters",
                               code="query_too_long")
        if not isinstance(k, int) or not 1 <= k <= MAX_K:
            raise InvalidInput(f"k must be 1..{MAX_K}", code="invalid_k")
        cap = self.settings.llm_max_tokens
        max_tokens = cap if max_tokens is None else max_tokens
        if not isinstance(max_tokens, int) or not 1 <= max_tokens <= cap:
            raise InvalidInput(f"max_tokens must be 1..{cap} (llm_max_tokens)",
                               code="invalid_max_tokens")
        return question.strip(), max_tokens


def _citations(found: SearchResults) -> list[Citation]:
    return [Citation(number=i, cited=False, key=h.key, parent_key=h.parent_key,
                     source=h.source, heading=h.heading, text=h.text, score=h.score,
                     dataset=h.dataset, version=h.version)
            for i, h in enumerate(found.hits, start=1)]


def _sources_block(citations: list[Citation], room: int) -> str:
    """The numbered passages, each cut at MAX_SOURCE_CHARS, all within ``room``."""
    lines: list[str] = []
    used = 0
    for c in citations:
        title = c.heading or c.source or c.parent_key
        line = f"[{c.number}] ({title}) {c.text[:MAX_SOURCE_CHARS]}"[:max(0, room - used)]
        if not line:
            break
        lines.append(line)
        used += len(line) + 2
    return "\n\n".join(lines)
