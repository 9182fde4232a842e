"""Zero-shot labeling functions: a prompt to the configured LLM for each row (a job, since
a local model answers a row or two per second). The reply votes the first class it names;
anything else abstains."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from sluice.core.jobs.context import JobContext
from sluice.core.jobs.registry import job_handler
from sluice.core.labels.rules import Outcome
from sluice.inference.llms import Usage, get_llm

if TYPE_CHECKING:
    from sluice.core.labels.service import UsesLabels

KIND_LLM = "labels.llm"
MAX_TOKENS = 8
MAX_TEXT = 2000


def prompt_messages(prompt: str, classes: list[str], text: str) -> list[dict[str, str]]:
    choices = ", ".join(classes)
    return [{"role": "system",
             "content": f"You label texts. Answer with exactly one word: one of {choices}, "
                        "or none if unsure."},
            {"role": "user", "content": f"{prompt}\n\nText: {text[:MAX_TEXT]}\n\n"
                                        f"Answer ({choices} or none):"}]


def parse_vote(reply: str, classes: list[str]) -> str | None:
    """The first class the reply names as a word (case-insensitive); None otherwise."""
    words = re.findall(r"[\w\-]+", reply.lower())
    lowered = {c.lower(): c for c in classes}
    return next((lowered[w] for w in words if w in lowered), None)


@job_handler(KIND_LLM, permission="labels.write")
def run_llm_function(platform: UsesLabels, job: JobContext,
                     params: dict[str, Any]) -> dict[str, Any]:
    dataset, schema, name = params["dataset"], params["schema"], params["name"]
    ctx = job.ctx
    found = platform.labels.schema(ctx, dataset, schema)
    fn = next(f for f in platform.labels.functions.list(ctx, dataset, schema)
              if f.name == name)
    table = platform.labels.datasets.to_arrow(ctx, dataset, columns=["_key", found.column])
    limit = min(table.num_rows, int(fn.config["max_rows"]))
    keys = table.column("_key").to_pylist()[:limit]
    texts = table.column(found.column).to_pylist()[:limit]
    llm = get_llm(platform.labels.settings)
    outcome = Outcome()
    started = time.perf_counter()
    for i, (key, text) in enumerate(zip(keys, texts, strict=True)):
        job.check_cancelled()
        try:
            reply = "".join(llm.stream(prompt_messages(fn.config["prompt"], found.classes,
                                                       text or ""),
                                       max_tokens=MAX_TOKENS, usage=Usage()))
        except Exception as exc:  # one failed call fails that row, the job goes on
            outcome.errors[key] = f"{type(exc).__name__}: {exc}"[:500]
            continue
        vote = parse_vote(reply, found.classes)
        if vote:
            outcome.votes[key] = vote
        job.progress(i + 1, limit, f"{len(outcome.votes)} votes")
    platform.labels.functions.store(ctx, dataset, schema, name, outcome,
                                    seconds=time.perf_counter() - started, rows=limit)
    return {"rows": limit, "votes": len(outcome.votes), "failures": len(outcome.errors)}
