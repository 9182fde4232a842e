"""Retrieval evaluation over BEIR-layout collections: nDCG@10, recall@100 and MRR.

A BEIR folder holds ``corpus.jsonl`` ({"_id", "title", "text"}), ``queries.jsonl``
({"_id", "text"}) and ``qrels/<split>.tsv`` (query-id, corpus-id, score, with a header).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from sluice.errors import InvalidInput, NotFound

Qrels = dict[str, dict[str, int]]
MAX_QUERIES = 10_000


class RetrievalScores(BaseModel):
    mode: str
    ndcg_at_10: float
    recall_at_100: float
    mrr: float
    queries: int
    mean_ms: float


class RetrievalReport(BaseModel):
    view: str
    view_version: int
    queries: int
    scores: list[RetrievalScores]
    truncated: list[str] = Field(default_factory=list, description=(
        "Queries longer than search accepts, cut to its limit and scored."))
    skipped: list[str] = Field(default_factory=list, description=(
        "Queries search refused (empty); each scores 0 in every mode."))

    @property
    def best(self) -> RetrievalScores:
        return max(self.scores, key=lambda s: s.ndcg_at_10)


def fit_queries(queries: dict[str, str], limit: int) -> tuple[dict[str, str], list[str]]:
    """Each query cut to ``limit`` characters (at the last space when one is near the end),
    and the ids of those that were cut."""
    fitted = {qid: _cut(text, limit) for qid, text in queries.items()}
    return fitted, [qid for qid, text in queries.items() if len(text) > limit]


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    head = text[:limit]
    space = head.rfind(" ")
    return head[:space] if space > limit * 0.9 else head


def find_beir(path: Path) -> Path:
    """The folder with corpus.jsonl: ``path`` itself or its ``beir`` subfolder."""
    for candidate in (path, path / "beir"):
        if (candidate / "corpus.jsonl").is_file():
            return candidate
    raise NotFound(f"{path} is not a BEIR folder (corpus.jsonl, queries.jsonl, qrels/*.tsv)",
                   code="beir_not_found")


def read_corpus(folder: Path) -> Iterator[dict[str, Any]]:
    for item in _jsonl(folder / "corpus.jsonl"):
        title, text = str(item.get("title") or ""), str(item.get("text") or "")
        body = text if not title or text.startswith(title) else f"{title}\n\n{text}"
        yield {"doc_id": str(item["_id"]), "title": title, "text": body}


def read_queries(folder: Path, qrels: Qrels) -> dict[str, str]:
    queries = {str(q["_id"]): str(q["text"]) for q in _jsonl(folder / "queries.jsonl")}
    return {qid: text for qid, text in queries.items() if qid in qrels}


def read_qrels(folder: Path, split: str = "test") -> Qrels:
    path = folder / "qrels" / f"{split}.tsv"
    if not path.is_file():
        raise NotFound(f"no qrels/{split}.tsv in {folder}", code="beir_not_found")
    qrels: Qrels = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            score = int(float(row["score"]))
            if score > 0:
                qrels.setdefault(row["query-id"].strip(), {})[row["corpus-id"].strip()] = score
    return qrels


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    if not path.is_file():
        raise NotFound(f"missing {path.name} in {path.parent}", code="beir_not_found")
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if line.strip():
                try:
                    yield json.loads(line)
                except ValueError as exc:
                    raise InvalidInput(f"{path.name} line {number} is not JSON",
                                       code="invalid_beir") from exc


# -- metrics -------------------------------------------------------------------------


def ndcg_at(ranked: list[str], relevant: dict[str, int], k: int = 10) -> float:
    gains = sum((2 ** relevant.get(doc, 0) - 1) / math.log2(i + 2)
                for i, doc in enumerate(ranked[:k]))
    ideal = sorted(relevant.values(), reverse=True)[:k]
    best = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return gains / best if best else 0.0


def recall_at(ranked: list[str], relevant: dict[str, int], k: int = 100) -> float:
    return len(set(ranked[:k]) & set(relevant)) / len(relevant) if relevant else 0.0


def reciprocal_rank(ranked: list[str], relevant: dict[str, int]) -> float:
    return next((1.0 / (i + 1) for i, doc in enumerate(ranked) if doc in relevant), 0.0)


def check_eval_input(queries: dict[str, str], qrels: Qrels) -> None:
    if not queries:
        raise InvalidInput("no query has relevance judgements", code="invalid_eval_set")
    if len(queries) > MAX_QUERIES:
        raise InvalidInput(f"at most {MAX_QUERIES} queries per evaluation",
                           code="invalid_eval_set")
    if not all(isinstance(v, dict) for v in qrels.values()):
        raise InvalidInput("qrels map query ids to {doc id: grade}", code="invalid_eval_set")


# -- answers ---------------------------------------------------------------------------


class QAItem(BaseModel):
    """A question with what a good answer contains and where it comes from."""

    question: str
    answer: str | None = None  # the reference answer (or the fact a good answer contains)
    source: str | None = None  # part of the gold source's key or uri; "a.md|b.md": either


class QAScore(BaseModel):
    question: str
    answer: str
    extract: str = ""
    hit: bool | None  # a retrieved passage came from the gold source
    cited: bool | None = None  # a passage the answer (or extract) cites came from it
    exact: bool | None
    contains: bool | None  # the answer or the extract shown with it holds the reference
    answer_contains: bool | None = None  # the generated answer alone
    extract_contains: bool | None = None  # the extract alone
    judge: bool | None  # the configured LLM judged the answer correct
    looped: bool = False  # the generator repeated itself and was stopped
    stopped_by: str = "stop"
    first_ms: float = 0.0  # question to the first words shown (extract or token)
    trace_id: str


class RagReport(BaseModel):
    view: str
    items: int
    hit_rate: float | None
    cited_rate: float | None = None
    exact: float | None
    contains: float | None
    answer_contains: float | None = None
    extract_contains: float | None = None
    judge: float | None
    looped: float = 0.0  # share of answers stopped for repeating themselves
    cut: float = 0.0  # share of answers cut at max_tokens
    first_ms_median: float = 0.0
    style: str = "both"
    llm: str
    prompt: str
    scores: list[QAScore]
    trace_id: str  # the evaluation run is stored as a trace of kind "eval.rag"


def read_qa(path: Path) -> list[QAItem]:
    """Question/answer pairs from a JSON lines file."""
    if not path.is_file():
        raise NotFound(f"no such file {path}", code="eval_set_not_found")
    items = []
    for item in _jsonl(path):
        try:
            items.append(QAItem.model_validate(item))
        except ValueError as exc:
            raise InvalidInput(f"{path.name}: each line needs a 'question' (and 'answer', "
                               f"'source'): {exc}", code="invalid_eval_set") from exc
    if not items:
        raise InvalidInput(f"{path.name} has no questions", code="invalid_eval_set")
    return items


def normalize_answer(text: str) -> str:
    import re

    text = re.sub(r"\[\d{1,3}\]", " ", text.lower())
    text = re.sub(r"\b(a|an|the)\b", " ", re.sub(r"[^\w\s]", " ", text))
    return " ".join(text.split())


def mean(values: list[bool | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None
