"""What answers and traces look like to callers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from sluice.errors import InvalidInput

ASK_STYLES = ("both", "extract", "generate")


def check_style(style: str) -> str:
    """``style`` when it is one of ASK_STYLES; InvalidInput (``invalid_ask_style``) else."""
    if style not in ASK_STYLES:
        raise InvalidInput(f"style must be one of {', '.join(ASK_STYLES)}",
                           code="invalid_ask_style")
    return style


class Citation(BaseModel):
    number: int  # [number] in the answer
    cited: bool  # the answer refers to it
    key: str
    parent_key: str
    source: str | None
    heading: str
    text: str
    score: float
    dataset: str
    version: int


class AskResult(BaseModel):
    question: str
    answer: str  # the generated answer (the extract when style is ``extract``)
    extract: str = ""  # the passages' sentences that best answer the question, cited
    style: str = "both"  # both | extract | generate
    citations: list[Citation]
    view: str
    view_version: int
    mode: str
    prompt: str  # name@version of the template
    llm: str
    prompt_tokens: int
    completion_tokens: int
    stopped_by: str  # stop | length | timeout | cancelled | repetition
    notice: str | None = None  # why the answer is incomplete, in words, when it is
    retrieval_ms: float
    extract_ms: float = 0.0
    generation_ms: float
    trace_id: str


class AskEvent(BaseModel):
    """One step of a streamed answer: ``sources``, ``extract``, ``token``, ``done`` or
    ``error``."""

    type: str
    data: Any


class Span(BaseModel):
    name: str
    start_ms: float  # from the trace's start
    duration_ms: float
    attributes: dict[str, Any]


class TraceInfo(BaseModel):
    id: str
    kind: str
    name: str
    status: str
    started_at: datetime
    duration_ms: float
    actor: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    spans: list[Span]
