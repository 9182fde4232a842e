"""Evaluation jobs: retrieval quality of a view per search mode."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from sluice.core.context import Ctx
from sluice.core.jobs.models import JobInfo
from sluice.core.search.evaluation import (
    Qrels,
    RetrievalReport,
    RetrievalScores,
    check_eval_input,
    ndcg_at,
    recall_at,
    reciprocal_rank,
)
from sluice.core.search.models import SearchMode
from sluice.errors import InvalidInput

if TYPE_CHECKING:
    from sluice.core.jobs.context import JobContext
    from sluice.platform import Platform

KIND_EVAL_RETRIEVAL = "eval.retrieval"
DEPTH = 100


class EvalService:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def retrieval(self, ctx: Ctx, view: str, queries: dict[str, str], qrels: Qrels,
                  modes: list[str] | None = None) -> JobInfo:
        """Start a job scoring ``view``'s search modes on judged queries."""
        check_eval_input(queries, qrels)
        modes = modes or [m.value for m in SearchMode]
        bad = [m for m in modes if m not in {x.value for x in SearchMode}]
        if bad:
            raise InvalidInput(f"unknown mode(s) {', '.join(bad)}", code="invalid_search_mode")
        ds, _ = self.platform.views.lookup(ctx, view)
        return self.platform.jobs.submit(ctx, KIND_EVAL_RETRIEVAL, {
            "view": ds.name, "queries": queries, "qrels": qrels, "modes": modes})

    def run_retrieval(self, job: JobContext, params: dict[str, Any]) -> dict[str, Any]:
        queries: dict[str, str] = params["queries"]
        qrels: Qrels = params["qrels"]
        modes: list[str] = params["modes"]
        scores = []
        total = len(queries) * len(modes)
        for m, mode in enumerate(modes):
            scores.append(self._score(job, params["view"], mode, queries, qrels,
                                      done=m * len(queries), total=total))
        view = self.platform.views.get(job.ctx, params["view"])
        report = RetrievalReport(view=view.name, view_version=view.version or 0,
                                 queries=len(queries), scores=scores)
        return report.model_dump()

    def _score(self, job: JobContext, view: str, mode: str, queries: dict[str, str],
               qrels: Qrels, *, done: int, total: int) -> RetrievalScores:
        ndcg = recall = mrr = 0.0
        started = time.perf_counter()
        for i, (qid, text) in enumerate(queries.items()):
            job.check_cancelled()
            hits = self.platform.search.search(job.ctx, view, text, mode=mode, k=DEPTH).hits
            ranked = list(dict.fromkeys(h.parent_key for h in hits))
            relevant = qrels.get(qid, {})
            ndcg += ndcg_at(ranked, relevant)
            recall += recall_at(ranked, relevant)
            mrr += reciprocal_rank(ranked, relevant)
            job.progress(done + i + 1, total, f"{mode}: {i + 1}/{len(queries)} queries")
        n = len(queries)
        return RetrievalScores(mode=mode, ndcg_at_10=ndcg / n, recall_at_100=recall / n,
                               mrr=mrr / n, queries=n,
                               mean_ms=(time.perf_counter() - started) * 1000 / n)
