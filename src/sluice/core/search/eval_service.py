"""Evaluation jobs: retrieval quality of a view per search mode."""

from __future__ import annotations

import statistics
import time
from typing import TYPE_CHECKING, Any

from sluice.core.context import Ctx
from sluice.core.jobs.models import JobInfo
from sluice.core.rag.models import AskResult, Citation, check_style
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
               max_tokens: int = 64, style: str | None = None) -> JobInfo:
        if not items or len(items) > MAX_QA_ITEMS:
            raise InvalidInput(f"give 1..{MAX_QA_ITEMS} questions", code="invalid_eval_set")
        style = check_style(style or self.settings.ask_style)
        ds, _ = self.views.lookup(ctx, view)
        return self.jobs.submit(ctx, KIND_EVAL_RAG, {
            "view": ds.name, "items": [i.model_dump() for i in items], "k": k,
            "max_tokens": max_tokens, "style": style})

    def run(self, job: JobContext, params: dict[str, Any]) -> dict[str, Any]:
        from sluice.core.traces.service import Tracer

        items = [QAItem.model_validate(i) for i in params["items"]]
        tracer = Tracer("eval.rag", f"{params['view']}: {len(items)} questions")
        scores: list[QAScore] = []
        llm = prompt = ""
        style = params.get("style") or self.settings.ask_style
        with tracer.span("answers", k=params["k"], style=style) as attrs:
            for n, item in enumerate(items, start=1):
                job.check_cancelled()
                result, first_ms = self._ask(job, params, item, style)
                llm, prompt = result.llm, result.prompt or prompt
                scores.append(self._score(item, result, first_ms))
                job.progress(n, len(items), f"{n}/{len(items)} questions")
            attrs["questions"] = len(items)
        report = self._report(params["view"], style, scores, llm, prompt, tracer.id)
        summary = report.model_dump(exclude={"scores"})
        self.rag.traces.save(job.ctx, tracer, status="ok", inputs=params,
                                      outputs=report.model_dump())
        return {**summary, "scores": [s.model_dump() for s in scores]}

    def _ask(self, job: JobContext, params: dict[str, Any], item: QAItem,
             style: str) -> tuple[AskResult, float]:
        """The answer, and the milliseconds until its first words (extract or token)."""
        started = time.perf_counter()
        first: list[float] = []

        def seen(_: str) -> None:
            if not first:
                first.append((time.perf_counter() - started) * 1000)

        result = self.rag.ask(job.ctx, params["view"], item.question, k=params["k"],
                              max_tokens=params["max_tokens"], style=style, on_token=seen,
                              on_extract=seen)
        return result, first[0] if first else (time.perf_counter() - started) * 1000

    def _score(self, item: QAItem, result: AskResult, first_ms: float) -> QAScore:
        hit = cited = None
        if item.source:
            needles = [n for n in item.source.lower().split("|") if n]
            hit = any(_from(c, needles) for c in result.citations)
            cited = any(_from(c, needles) for c in result.citations if c.cited)
        exact = contains = in_answer = in_extract = judge = None
        if item.answer:
            gold, got = normalize_answer(item.answer), normalize_answer(result.answer)
            exact, in_answer = gold == got, bool(gold) and gold in got
            in_extract = bool(gold) and gold in normalize_answer(result.extract)
            contains = in_answer or in_extract
            judge = self._judge(item.answer, result.answer)
        return QAScore(question=item.question, answer=result.answer, extract=result.extract,
                       hit=hit, cited=cited, exact=exact, contains=contains,
                       answer_contains=in_answer, extract_contains=in_extract, judge=judge,
                       looped=result.stopped_by == "repetition", stopped_by=result.stopped_by,
                       first_ms=round(first_ms, 1), trace_id=result.trace_id)

    @staticmethod
    def _report(view: str, style: str, scores: list[QAScore], llm: str, prompt: str,
                trace_id: str) -> RagReport:
        return RagReport(
            view=view, items=len(scores), hit_rate=mean([s.hit for s in scores]),
            cited_rate=mean([s.cited for s in scores]), exact=mean([s.exact for s in scores]),
            contains=mean([s.contains for s in scores]),
            answer_contains=mean([s.answer_contains for s in scores]),
            extract_contains=mean([s.extract_contains for s in scores]),
            judge=mean([s.judge for s in scores]),
            looped=mean([s.looped for s in scores]) or 0.0,
            cut=mean([s.stopped_by == "length" for s in scores]) or 0.0,
            first_ms_median=statistics.median(s.first_ms for s in scores) if scores else 0.0,
            style=style, llm=llm, prompt=prompt, scores=scores, trace_id=trace_id)

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


def _from(citation: Citation, needles: list[str]) -> bool:
    where = f"{citation.source or ''} {citation.parent_key}".lower()
    return any(n in where for n in needles)
