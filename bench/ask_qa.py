"""Answers on a question-answer set over the demo docs (``bench/data/ask_qa.jsonl``:
58 questions written for this benchmark, each with the fact a correct answer contains and
the file it comes from; 16 tune the repetition penalty, 42 are held out to score).

Sluice's user path is ``client.eval_rag`` (the ``sluice eval rag`` job) on the view the
demo makes of ``docs/``, with the bundled SmolLM2-135M-Instruct:

- ``both`` (the default): the passages' best sentences, cited, then a generated answer;
- ``extract``: the sentences alone, no generation;
- ``generate``: the generated answer alone (not run separately: the generation is the
  same as in ``both``, whose ``answer_contains`` scores it alone).

Anchor: what a user would otherwise write with transformers: the same passages (Sluice's
hybrid search), the same prompt and model, greedy ``generate`` with a streamer, no
repetition controls (also what Sluice did before this benchmark existed). Its answers are
scored with the same functions. Quality is deterministic (greedy); times are medians over
the questions.

    python -m bench.ask_qa [--quick]
"""

from __future__ import annotations

import json
import statistics
import tempfile
import threading
import time
from typing import Any

from bench.common import ROOT, quick, save

QA_FILE = ROOT / "bench" / "data" / "ask_qa.jsonl"
PENALTIES = (1.0, 1.15, 1.3)
K = 4
MAX_TOKENS = 256


def qa(split: str) -> list[dict[str, Any]]:
    items = [json.loads(line) for line in QA_FILE.read_text().splitlines() if line.strip()]
    chosen = [i for i in items if i["split"] == split]
    return chosen[:6] if quick() else chosen


def open_client(home: str, **settings: Any) -> Any:
    from sluice.sdk.connect import connect

    return connect(home=home, executor="thread", **settings)


def load_docs(client: Any) -> None:
    client.ingest([str(ROOT / "docs")], "docs")
    client.views.create("docs_chunks", "docs")


def evaluate(client: Any, split: str, style: str) -> dict[str, Any]:
    from sluice.core.search.evaluation import QAItem

    items = [QAItem.model_validate(i) for i in qa(split)]
    job = client.evaluate_rag("docs_chunks", items, k=K, max_tokens=MAX_TOKENS, style=style)
    return dict(job.result)


def summary(report: dict[str, Any]) -> dict[str, Any]:
    """The report's figures, how many shown answers still hold a loop (the guard's job is
    to leave none), and each question's answer, cut to 300 characters."""
    from sluice.core.rag.guard import looping_tail, repeated_sentence

    keys = ("items", "style", "hit_rate", "cited_rate", "contains", "answer_contains",
            "extract_contains", "looped", "cut", "first_ms_median", "llm", "prompt")
    scores = report.get("scores", [])
    shown = [s["answer"] for s in scores]
    return {**{k: report.get(k) for k in keys},
            "shown_loops": sum(bool(looping_tail(a) or repeated_sentence(a)) for a in shown),
            "answers": [{"question": s["question"], "answer": s["answer"][:300],
                         "extract": s["extract"][:300], "contains": s["contains"],
                         "cited": s["cited"], "stopped_by": s["stopped_by"]}
                        for s in scores]}


def _short(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "answers"}


def tune(home: str) -> tuple[float, list[dict[str, Any]]]:
    """The penalty with the most answers holding the fact (ties: fewer loops, then the
    smaller penalty), on the tuning questions only."""
    rows = []
    for penalty in PENALTIES:
        client = open_client(home, llm_repetition_penalty=penalty)
        try:
            report = summary(evaluate(client, "tune", "generate"))
        finally:
            client.close()
        rows.append({"penalty": penalty, **report})
        print(f"tune penalty={penalty}: {_short(report)}", flush=True)
    best = max(rows, key=lambda r: (r["answer_contains"] or 0, -(r["looped"] or 0),
                                    -r["penalty"]))
    return best["penalty"], rows


def anchor(client: Any, split: str) -> dict[str, Any]:
    """Plain transformers over Sluice's passages: same prompt, model, greedy decoding."""
    from transformers import TextIteratorStreamer

    from sluice.core.rag.guard import looping_tail, repeated_sentence
    from sluice.core.rag.prompts import DEFAULT_PROMPT, get_prompt
    from sluice.core.rag.service import _citations, _sources_block
    from sluice.core.search.evaluation import normalize_answer
    from sluice.inference.llms import get_llm

    platform = client.platform
    llm: Any = get_llm(platform.settings.model_copy(update={"llm_repetition_penalty": 1.0}))
    template = get_prompt(DEFAULT_PROMPT)
    scores = []
    for item in qa(split):
        found = platform.search.search(client.ctx, "docs_chunks", item["question"], k=K)
        citations = _citations(found)
        messages = template.messages(sources=_sources_block(citations, 4500),
                                     question=item["question"])
        encoded = llm.encode(messages, MAX_TOKENS)
        streamer = TextIteratorStreamer(llm.tokenizer, skip_prompt=True,
                                        skip_special_tokens=True)
        started = time.perf_counter()
        worker = threading.Thread(target=llm.model.generate, kwargs=dict(
            **encoded, max_new_tokens=MAX_TOKENS, do_sample=False, streamer=streamer,
            pad_token_id=llm.tokenizer.eos_token_id))
        worker.start()
        pieces, first = [], None
        for piece in streamer:
            if first is None and piece:
                first = (time.perf_counter() - started) * 1000
            pieces.append(piece)
        worker.join()
        answer = "".join(pieces)
        gold = normalize_answer(item["answer"])
        cited = {int(n) for n in __import__("re").findall(r"\[(\d{1,3})\]", answer)}
        needles = item["source"].lower().split("|")
        scores.append({
            "contains": gold in normalize_answer(answer),
            "cited": any(any(n in (c.source or "").lower() for n in needles)
                         for c in citations if c.number in cited),
            "looped": bool(looping_tail(answer) or repeated_sentence(answer)),
            "first_ms": first or 0.0})
    n = len(scores)
    return {"items": n, "style": "transformers generate (anchor)",
            "contains": sum(s["contains"] for s in scores) / n,
            "cited_rate": sum(s["cited"] for s in scores) / n,
            "looped": sum(s["looped"] for s in scores) / n,
            "shown_loops": sum(s["looped"] for s in scores),
            "first_ms_median": statistics.median(s["first_ms"] for s in scores)}


def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        client = open_client(home)
        try:
            load_docs(client)
        finally:
            client.close()
        penalty, tuning = tune(home)
        client = open_client(home, llm_repetition_penalty=penalty)
        try:
            results = {}
            for style in ("extract", "both"):  # both's answer_contains is generate's
                results[style] = summary(evaluate(client, "eval", style))
                print(style, _short(results[style]), flush=True)
            results["anchor"] = anchor(client, "eval")
        finally:
            client.close()
    for name, row in results.items():
        print(name, _short(row), flush=True)
    save("ask_qa", {"qa_file": str(QA_FILE.relative_to(ROOT)), "tuned_penalty": penalty,
                    "tuning": tuning, "results": results},
         {"k": K, "max_tokens": MAX_TOKENS, "llm": "smollm2", "penalties": PENALTIES})


if __name__ == "__main__":
    main()
