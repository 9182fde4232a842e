"""The fine-tuning job: read prompt/response pairs, hold some out, measure the base, train
a LoRA adapter with every step's loss on the parent run, measure again, store the adapter
(safetensors and JSON), register it as a model version that names its base.

Nothing is registered until the adapter's files are stored and the run has ended, so a
killed job leaves at most a failed run.
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sluice.core.jobs.registry import job_handler
from sluice.core.tracking.models import Metric
from sluice.core.training.models import FinetuneRequest, FinetuneResult, Measured
from sluice.errors import Cancelled, InvalidInput

if TYPE_CHECKING:
    from sluice.core.context import Ctx
    from sluice.core.jobs.context import JobContext
    from sluice.core.training.lora import Base, Prompt
    from sluice.core.training.service import TrainingService

KIND_FINETUNE = "training.finetune"
MIN_PAIRS = 2


@job_handler(KIND_FINETUNE, permission="training.run", resources={"cpus": 1.0, "gpus": 1.0})
def finetune(platform: Any, job: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    service: TrainingService = platform.service("training")
    tuner = Tuner(service, job, FinetuneRequest.model_validate(params["request"]),
                  str(params["run_id"]))
    try:
        result = tuner.run()
    except Cancelled:
        tuner.end("KILLED")
        raise
    except Exception:
        tuner.end("FAILED")
        raise
    return result.model_dump(mode="json")


ROLES = ("system", "user", "assistant")


def read_pairs(frame: Any, request: FinetuneRequest) -> list[tuple[Prompt, str]]:
    """The non-empty prompt/response pairs of the version (or, with ``messages_column``,
    each conversation's turns before its last assistant turn, and that turn).

    Raises:
        InvalidInput: ``column_not_found``, ``dataset_too_small``.
    """
    columns = [request.messages_column] if request.messages_column else \
        [request.prompt_column, request.response_column]
    for column in columns:
        if column not in frame.columns:
            raise InvalidInput(f"no column {column!r}; name the prompt and response columns "
                               f"(prompt_column, response_column) or a messages_column",
                               code="column_not_found", details={"column": column})
    pairs: list[tuple[Prompt, str]]
    if request.messages_column:
        found = (conversation(v) for v in frame[request.messages_column])
        pairs = [pair for pair in found if pair is not None]
        what = "a conversation ending in an assistant turn"
    else:
        pairs = [(str(p), str(r)) for p, r in zip(frame[request.prompt_column],
                                                  frame[request.response_column], strict=True)
                 if p is not None and r is not None and str(p).strip() and str(r).strip()]
        what = "both a prompt and a response"
    if len(pairs) < MIN_PAIRS:
        raise InvalidInput(f"{len(pairs)} rows have {what}; fine-tuning needs at least "
                           f"{MIN_PAIRS}", code="dataset_too_small")
    return pairs


def conversation(value: Any) -> tuple[Prompt, str] | None:
    """A chat conversation as (the turns before its last assistant turn, that turn's text);
    None when it is not a list of {role, content} ending in a non-empty assistant turn."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if hasattr(value, "tolist"):
        value = value.tolist()
    if not isinstance(value, list) or len(value) < 2:
        return None
    turns = []
    for turn in value:
        if not isinstance(turn, dict) or not isinstance(turn.get("content"), str) \
                or turn.get("role") not in ROLES:
            return None
        turns.append({"role": str(turn["role"]), "content": turn["content"]})
    last = turns[-1]
    if last["role"] != "assistant" or not last["content"].strip():
        return None
    return turns[:-1], last["content"]


class Tuner:
    def __init__(self, service: TrainingService, job: JobContext, request: FinetuneRequest,
                 run_id: str) -> None:
        self.s, self.job, self.request, self.run_id = service, job, request, run_id
        from sluice.inference.runtime import configure_torch, resolve_device

        self.ctx: Ctx = job.ctx
        configure_torch(service.settings.torch_threads)  # the runtime's thread policy
        self.device = resolve_device(service.settings.device)
        self.points: list[Metric] = []

    def end(self, status: str) -> None:
        self.s.tracking.runs.update(self.ctx, self.run_id, status=status)

    def run(self) -> FinetuneResult:
        from sluice.core.training import lora

        frame = self.s.datasets.to_arrow(self.ctx, self.request.dataset).to_pandas()
        pairs = read_pairs(frame, self.request)
        train, held = self._split(pairs)
        self.job.progress(0, None, "loading the base model")
        base = lora.load_base(self.request.base, self.s.bundled_folder, self.device)
        data = self._batches(base, train)
        check = self._batches(base, held)
        before = self._measure(base, base.model, check, held)
        model = lora.with_lora(base.model, self.request.rank, self.request.alpha,
                               self.request.target_modules, seed=self.request.seed)
        steps = self.request.steps or len(data)
        self._log_setup(base, len(train), len(held), steps)
        tokens, seconds, done = lora.train(model, data, steps=steps,
                                           learning_rate=self.request.learning_rate,
                                           on_step=self._on_step(steps), device=self.device,
                                           seed=self.request.seed,
                                           seconds=self.request.time_limit)
        self._flush()
        after = self._measure(base, model, check, held)
        uri = self._store(model)
        result = FinetuneResult(base=base.name, pairs=len(train), eval_pairs=len(held),
                                steps=done, stopped_early=done < steps, tokens=tokens,
                                seconds=seconds,
                                tokens_per_second=tokens / max(seconds, 1e-9), before=before,
                                after=after, adapter_uri=uri)
        self._finish(result)
        if self.request.register_as:
            version = self.s.hub.register(
                self.ctx, self.request.register_as, uri,
                description=f"LoRA adapter on {base.name}",
                tags={"sluice.training": "lora", "base_model": base.name,
                      "intended_use": f"a LoRA adapter for {base.name}, tuned on "
                                      f"{self.request.dataset}"})
            result.registered = {"name": version.name, "version": version.version}
        return result

    def _split(self, pairs: list[tuple[Prompt, str]]) -> tuple[list[tuple[Prompt, str]],
                                                            list[tuple[Prompt, str]]]:
        order = list(range(len(pairs)))
        random.Random(self.request.seed).shuffle(order)
        held = round(len(pairs) * self.request.eval_fraction)
        held = min(held, len(pairs) - 1)
        return [pairs[i] for i in order[held:]], [pairs[i] for i in order[:held]]

    def _batches(self, base: Base, pairs: list[tuple[Prompt, str]]) -> list[dict[str, Any]]:
        from sluice.core.training import lora

        encoded = [lora.encode(base.tokenizer, p, r, self.request.max_length) for p, r in pairs]
        return lora.batches(encoded, self.request.batch_size, base.tokenizer.pad_token_id)

    def _measure(self, base: Base, model: Any, data: list[dict[str, Any]],
                 held: list[tuple[Prompt, str]]) -> Measured | None:
        from sluice.core.training import lora

        if not data:
            return None
        self.job.check_cancelled(force=True)
        self.job.progress(0, None, "measuring on the held-out pairs")
        measured = lora.evaluate(model, data, self.device)
        answers = held[:self.request.eval_answers]
        share = lora.contains(model, base.tokenizer, answers, device=self.device) \
            if answers else None
        return Measured(loss=measured["loss"], perplexity=measured["perplexity"],
                        contains=share)

    def _on_step(self, steps: int) -> Any:
        started = time.perf_counter()
        seen = [0]

        def on_step(step: int, loss: float, tokens: int) -> None:
            self.job.check_cancelled()
            seen[0] += tokens
            self.points.append(Metric(key="train_loss", value=loss, step=step))
            rate = seen[0] / max(time.perf_counter() - started, 1e-9)
            self.job.progress(step + 1, steps, f"step {step + 1} of {steps}; loss {loss:.3f}; "
                                               f"{rate:,.0f} tokens/s")
            if len(self.points) >= 50:
                self._flush()

        return on_step

    def _flush(self) -> None:
        if self.points:
            self.s.tracking.runs.log_batch(self.ctx, self.run_id, metrics=self.points)
            self.points = []

    def _log_setup(self, base: Base, train: int, held: int, steps: int) -> None:
        r = self.request
        params = {"base": base.name, "rank": str(r.rank), "alpha": str(r.alpha),
                  "learning_rate": f"{r.learning_rate:g}", "batch_size": str(r.batch_size),
                  "max_length": str(r.max_length), "steps": str(steps),
                  "target_modules": ",".join(r.target_modules), "pairs": str(train),
                  "eval_pairs": str(held), "device": self.device}
        self.s.tracking.runs.log_batch(self.ctx, self.run_id, params=params)

    def _store(self, model: Any) -> str:
        run = self.s.tracking.runs.get(self.ctx, self.run_id)
        with tempfile.TemporaryDirectory(prefix="sluice-lora-") as tmp:
            model.save_pretrained(tmp, safe_serialization=True)
            for path in sorted(Path(tmp).rglob("*")):
                if path.is_file():
                    rel = path.relative_to(tmp).as_posix()
                    self.s.tracking.artifacts.put_file(
                        self.ctx, f"{run.artifact_root}/adapter/{rel}", path)
        return f"runs:/{self.run_id}/adapter"

    def _finish(self, result: FinetuneResult) -> None:
        metrics = [Metric(key="tokens_per_second", value=result.tokens_per_second),
                   Metric(key="train_seconds", value=result.seconds)]
        for when, measured in (("before", result.before), ("after", result.after)):
            if measured is not None:
                metrics += [Metric(key=f"eval_loss_{when}", value=measured.loss),
                            Metric(key=f"perplexity_{when}", value=measured.perplexity)]
                if measured.contains is not None:
                    metrics.append(Metric(key=f"contains_{when}", value=measured.contains))
        self.s.tracking.runs.log_batch(self.ctx, self.run_id, metrics=metrics)
        self.end("FINISHED")
