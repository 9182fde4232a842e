"""Evaluation jobs: retrieval quality of a view per search mode."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from sluice.core.context import Ctx
from sluice.core.jobs.models import JobInfo
from sluice.core.rag.models import AskResult
from sluice.core.search.evaluation import (
    QAItem,
    QAScore,
    Qrels,
    RagReport,
    RetrievalReport,
    RetrievalScores,
    check_eval_input,
    fit_queries,
    mean,
    ndcg_at,
    normalize_answer,
    recall_at,
    reciprocal_rank,
)
from sluice.core.search.models import SearchMode
from sluice.core.search.service import MAX_QUERY_CHARS
from sluice.errors import InvalidInput

if TYPE_CHECKING:
    from sluice.core.jobs.context import JobContext
    from sluice.core.jobs.service import JobService
    from sluice.core.rag.service import RagService
    from sluice.core.search.service import SearchService
    from sluice.core.views.service import ViewService
    from sluice.settings import Settings

KIND_EVAL_RETRIEVAL = "eval.retrieval"
DEPTH = 100
QUERY_ERRORS = {"query_empty", "query_too_long"}  # one query's problem, not the evaluation's


class EvalService:
    def __init__(self, jobs: JobService, views: ViewService, search: SearchService) -> None:
        self.jobs, self.views, self.search = jobs, views, search

    def retrieval(self, ctx: Ctx, view: str, queries: dict[str, str], qrels: Qrels,
                  modes: list[str] | None = None) -> JobInfo:
        """Start a job scoring ``view``'s search modes on judged queries."""
        check_eval_input(queries, qrels)
        modes = modes or [m.value for m in SearchMode]
        bad = [m for m in modes if m not in {x.value for x in SearchMode}]
        if bad:
            raise InvalidInput(f"unknown mode(s) {', '.join(bad)}", code="invalid_search_mode")
        ds, _ = self.views.lookup(ctx, view)
        return self.jobs.submit(ctx, KIND_EVAL_RETRIEVAL, {
            "view": ds.name, "queries": queries, "qrels": qrels, "modes": modes})

    def run_retrieval(self, job: JobContext, params: dict[str, Any]) -> dict[str, Any]:
        """Score each mode. A query too long for search is cut to its limit and one search
        refuses (empty) scores 0; both are listed in the report, never fatal."""
        queries, truncated = fit_queries(params["queries"], MAX_QUERY_CHARS)
        qrels: Qrels = params["qrels"]
        modes: list[str] = params["modes"]
        scores, skipped = [], set[str]()
        total = len(queries) * len(modes)
        for m, mode in enumerate(modes):
            scores.append(self._score(job, params["view"], mode, queries, qrels, skipped,
                                      done=m * len(queries), total=total))
        view = self.views.get(job.ctx, params["view"])
        report = RetrievalReport(view=view.name, view_version=view.version or 0,
                                 queries=len(queries), scores=scores, truncated=truncated,
                                 skipped=sorted(skipped))
        return report.model_dump()

    def _score(self, job: JobContext, view: str, mode: str, queries: dict[str, str],
               qrels: Qrels, skipped: set[str], *, done: int,
               total: int) -> RetrievalScores:
        ndcg = recall = mrr = 0.0
        started = time.perf_counter()
        for i, (qid, text) in enumerate(queries.items()):
            job.check_cancelled()
            job.progress(done + i + 1, total, f"{mode}: {i + 1}/{len(queries)} queries")
            try:
                hits = self.search.search(job.ctx, view, text, mode=mode, k=DEPTH).hits
            except InvalidInput as err:
                if err.code not in QUERY_ERRORS:
                    raise
                skipped.add(qid)
                continue
            ranked = list(dict.fromkeys(h.parent_key for h in hits))
            relevant = qrels.get(qid, {})
            ndcg += ndcg_at(ranked, relevant)
            recall += recall_at(ranked, relevant)
            mrr += reciprocal_rank(ranked, relevant)
        n = len(queries)
        return RetrievalScores(mode=mode, ndcg_at_10=ndcg / n, recall_at_100=recall / n,
                               mrr=mrr / n, queries=n,
                               mean_ms=(time.perf_counter() - started) * 1000 / n)

KIND_EVAL_RAG = "eval.rag"
MAX_QA_ITEMS = 1000
JUDGE_PROMPT = ("Reference answer: {reference}\nCandidate answer: {candidate}\n"
                "Does the candidate give the same facts as the reference? Reply yes or no.")


class RagEval:
    """Scores asks on question/answer pairs; the run is stored as a trace."""

    def __init__(self, jobs: JobService, views: ViewService, rag: RagService,
                 settings: Settings) -> None:
        self.jobs, self.views, self.rag, self.settings = jobs, views, rag, settings

    def submit(self, ctx: Ctx, view: str, items: list[QAItem], *, k: int = 4,
               max_tokens: int = 64) -> JobInfo:
        if not items or len(items) > MAX_QA_ITEMS:
            raise InvalidInput(f"give 1..{MAX_QA_ITEMS} questions", code="invalid_eval_set")
        ds, _ = self.views.lookup(ctx, view)
        return self.jobs.submit(ctx, KIND_EVAL_RAG, {
            "view": ds.name, "items": [i.model_dump() for i in items], "k": k,
            "max_tokens": max_tokens})

    def run(self, job: JobContext, params: dict[str, Any]) -> dict[str, Any]:
        from sluice.core.traces.service import Tracer

        items = [QAItem.model_validate(i) for i in params["items"]]
        tracer = Tracer("eval.rag", f"{params['view']}: {len(items)} questions")
        scores: list[QAScore] = []
        llm = prompt = ""
        with tracer.span("answers", k=params["k"]) as attrs:
            for n, item in enumerate(items, start=1):
                job.check_cancelled()
                result = self.rag.ask(job.ctx, params["view"], item.question,
                                               k=params["k"], max_tokens=params["max_tokens"])
                llm, prompt = result.llm, result.prompt
                scores.append(self._score(item, result))
                job.progress(n, len(items), f"{n}/{len(items)} questions")
            attrs["questions"] = len(items)
        report = RagReport(
            view=params["view"], items=len(items), hit_rate=mean([s.hit for s in scores]),
            exact=mean([s.exact for s in scores]), contains=mean([s.contains for s in scores]),
            judge=mean([s.judge for s in scores]), llm=llm, prompt=prompt, scores=scores,
            trace_id=tracer.id)
        summary = report.model_dump(exclude={"scores"})
        self.rag.traces.save(job.ctx, tracer, status="ok", inputs=params,
                                      outputs=report.model_dump())
        return {**summary, "scores": [s.model_dump() for s in scores]}

    def _score(self, item: QAItem, result: AskResult) -> QAScore:
        hit = None
        if item.source:
            needle = item.source.lower()
            hit = any(needle in (c.source or "").lower() or needle in c.parent_key.lower()
                      for c in result.citations)
        exact = contains = judge = None
        if item.answer:
            gold, got = normalize_answer(item.answer), normalize_answer(result.answer)
            exact, contains = gold == got, bool(gold) and gold in got
            judge = self._judge(item.answer, result.answer)
        return QAScore(question=item.question, answer=result.answer, hit=hit, exact=exact,
                       contains=contains, judge=judge, trace_id=result.trace_id)

    def _judge(self, reference: str, candidate: str) -> bool | None:
        """An LLM judge, only when a real provider is configured (the bundled 135M model
        is too small to judge)."""
        if self.settings.llm != "openai":
            return None
        from sluice.inference.llms import Usage, get_llm

        llm = get_llm(self.settings)
        message = JUDGE_PROMPT.format(reference=reference, candidate=candidate)
        reply = "".join(llm.stream([{"role": "user", "content": message}], max_tokens=3,
                                   usage=Usage()))
        return reply.strip().lower().startswith("yes")
