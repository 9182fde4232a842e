"""The training job: read the version, search, record every trial as a run, refit the
best on every row, store it, score it on held-out labels, write the report, register.

Nothing is registered until the model's files are stored and the parent run has ended,
so a job killed at any point leaves no half-registered model (at worst a failed run).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sluice.core.jobs.registry import job_handler
from sluice.core.tracking.models import Metric, RunInput
from sluice.core.training.models import Check, SearchResult, TrainRequest, TrainResult, Trial
from sluice.core.training.service import CURVE_POINTS, KIND, STATES, TRIAL_TAG, register_best
from sluice.errors import Cancelled

if TYPE_CHECKING:
    from sluice.core.context import Ctx
    from sluice.core.jobs.context import JobContext
    from sluice.core.training.families import Fitted
    from sluice.core.training.service import TrainingService
    from sluice.core.training.tabular import Problem


# On Ray the job only coordinates: its trials are Ray tasks that ask for their own CPUs.
@job_handler(KIND, permission="training.run", resources={"cpus": 0.0})
def automl(platform: Any, job: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    service: TrainingService = platform.service("training")
    request = TrainRequest.model_validate(params["request"])
    run = Trainer(service, job, request, str(params["run_id"]))
    try:
        result = run.run()
    except Cancelled:
        run.end("KILLED")
        raise
    except Exception:
        run.end("FAILED")
        raise
    return result.model_dump(mode="json")


class Trainer:
    """One training job, start to end."""

    def __init__(self, service: TrainingService, job: JobContext, request: TrainRequest,
                 run_id: str) -> None:
        self.s, self.job, self.request, self.run_id = service, job, request, run_id
        self.ctx: Ctx = job.ctx
        self.started = time.perf_counter()
        self.best: float | None = None
        self.onnx: dict[str, Any] = {}
        self.higher = True
        self.count = 0

    def run(self) -> TrainResult:
        from sluice.core.training.tabular import prepare

        frame, held = self._frame()
        self.job.progress(0, self.request.budget, "reading features")
        problem = prepare(frame, self.request.target, folds=self.request.folds,
                          task=self.request.task, columns=self.request.columns,
                          time_column=self.request.time_column,
                          weight_column=self.request.weight_column,
                          embed=self._embedder(frame), seed=self.request.seed,
                          budget=self.request.budget)
        self._log_setup(problem)
        found = self._search(problem)
        fitted, refit_seconds = self._refit(problem, found)
        check = self._check(problem, fitted, held)
        uri = self._store(problem, fitted)
        result = self._result(problem, found, check, uri)
        self._finish(result, refit_seconds)
        if self.request.register_as:
            version = register_best(self.s.hub, self.ctx, result, self.request.register_as)
            result.registered = {"name": version.name, "version": version.version}
        return result

    def end(self, status: str) -> None:
        self.s.tracking.runs.update(self.ctx, self.run_id, status=status)

    # -- the steps ------------------------------------------------------------------

    def _frame(self) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """The version's rows; with a check column, the rows people labeled are held out."""
        table = self.s.datasets.to_arrow(self.ctx, self.request.dataset)
        frame = table.to_pandas()
        column = self.request.check_column
        if not column:
            return frame, None
        labeled = frame[column].notna() & (frame[column].astype(str).str.strip() != "")
        return frame[~labeled].drop(columns=[column]), frame[labeled]

    def _embedder(self, frame: pd.DataFrame) -> Any:
        from sluice.core.training.texts import TextVectors

        vectors = TextVectors(self.s.settings)

        def embed(texts: list[str]) -> np.ndarray:
            def progress(done: int, total: int) -> None:
                self.job.check_cancelled()
                self.job.progress(0, self.request.budget,
                                  f"embedding texts: {done:,} of {total:,} new")

            return vectors.embed(self.ctx.project_id, texts, progress)

        return embed

    def _search(self, problem: Problem) -> SearchResult:
        from sluice.core.training.pools import trial_pool
        from sluice.core.training.tabular import search

        def stop() -> bool:
            try:
                self.job.check_cancelled()
            except Cancelled:
                return True
            return False

        pool, n_threads = trial_pool(problem, self.s.settings)
        if pool is not None:
            self.job.log(f"trials run in parallel on {pool.where}")
        try:
            found = search(problem, budget_seconds=self.request.budget,
                           seed=self.request.seed, max_trials=self.request.max_trials,
                           on_trial=self._on_trial, stop=stop, n_threads=n_threads, pool=pool)
        finally:
            if pool is not None:
                pool.close()
        if pool is not None:
            found.trials_on = pool.where
        self.job.check_cancelled(force=True)
        return found

    def _refit(self, problem: Problem, found: SearchResult) -> tuple[Fitted, float]:
        from sluice.core.training.folds import Scorer

        self.job.progress(self.request.budget, self.request.budget,
                          f"refitting the best ({found.best.family}) on all "
                          f"{len(problem.y):,} rows")
        started = time.perf_counter()
        scorer = Scorer(problem, self.request.seed, deadline=float("inf"),
                        stop=lambda: False, on_trial=None,
                        n_threads=self.s.settings.train_threads)
        return scorer.refit(found.best), time.perf_counter() - started

    def _check(self, problem: Problem, fitted: Fitted,
               held: pd.DataFrame | None) -> Check | None:
        from sluice.core.training.artifact import Predictor
        from sluice.core.training.folds import score

        column = self.request.check_column
        if held is None or column is None or held.empty:
            return None
        predictor = Predictor({"task": problem.task.value, "classes": problem.class_values,
                               "recipe": problem.recipe.model_dump()}, _Raw(fitted),
                              self._embedder(held))
        truth = held[column].astype(str) if problem.classes else held[column].astype(float)
        if problem.classes:
            predicted = [str(v) for v in predictor.predict(held)]
            accuracy = float(np.mean(np.asarray(predicted) == truth.to_numpy()))
            return Check(column=column, rows=len(held), metric="accuracy", score=accuracy)
        values = np.asarray(predictor.predict(held), dtype=float)
        rmse = score(problem.task, truth.to_numpy(), values)
        return Check(column=column, rows=len(held), metric="rmse", score=rmse)

    def _store(self, problem: Problem, fitted: Fitted) -> str:
        from sluice.core.training.artifact import save

        run = self.s.tracking.runs.get(self.ctx, self.run_id)
        with tempfile.TemporaryDirectory(prefix="sluice-train-") as tmp:
            paths, self.onnx = save(Path(tmp), fitted, problem.recipe, task=problem.task,
                                    target=self.request.target,
                                    classes=problem.class_values, x=problem.x)
            for path in paths:
                self.s.tracking.artifacts.put_file(
                    self.ctx, f"{run.artifact_root}/model/{path.name}", path)
        return f"runs:/{self.run_id}/model"

    # -- what the runs record ---------------------------------------------------------

    def _log_setup(self, problem: Problem) -> None:
        from sluice.core.training.tabular import METRICS

        metric, higher = METRICS[problem.task]
        self.higher = higher
        params = {"task": problem.task.value, "target": self.request.target,
                  "metric": metric, "higher_is_better": str(higher),
                  "budget_seconds": f"{self.request.budget:g}", "split": problem.split,
                  "rows": str(len(problem.y)), "features": str(len(problem.recipe.columns)),
                  "text_columns": ",".join(problem.recipe.text) or "none"}
        for key in ("time_column", "weight_column", "check_column"):
            value = getattr(self.request, key)
            if value:
                params[key] = value
        self.s.tracking.runs.log_batch(self.ctx, self.run_id, params=params)
        self.s.tracking.runs.log_inputs(self.ctx, self.run_id, [self._input()])

    def _input(self) -> RunInput:
        from sluice.core.labels import describe_label_sources

        ref = self.request.dataset
        name, number = ref.split("@", 1)
        version = self.s.datasets.version(self.ctx, ref)
        columns = {c.name for c in self.s.datasets.schema(self.ctx, ref)}
        details: dict[str, Any] = {"rows": version.row_count, "target": self.request.target}
        if any(c.startswith(("label_", "weak_")) for c in columns):
            schemas = [(sch.name, [f.name for f in
                                   self.s.labels.functions.list(self.ctx, name, sch.name)])
                       for sch in self.s.labels.schemas(self.ctx, name)]
            sources = describe_label_sources(columns, schemas)
            if sources:
                details["label_sources"] = sources
        return RunInput(name=name, digest=f"v{number}", source_type="sluice",
                        source=f"sluice:{name}@v{number}", context="training",
                        details=details)

    def _on_trial(self, trial: Trial, curve: list[float], curve_name: str) -> None:
        runs = self.s.tracking.runs
        child = runs.create(self.ctx, self._experiment(), name=f"trial {trial.number}",
                            parent_id=self.run_id,
                            tags={TRIAL_TAG: trial.state, "sluice.trial_number": str(trial.number),
                                  **({"sluice.note": trial.note} if trial.note else {})})
        metrics = [Metric(key="seconds", value=trial.seconds),
                   Metric(key="rounds", value=float(trial.rounds))]
        metrics += [Metric(key="fold_score", value=v, step=i)
                    for i, v in enumerate(trial.fold_scores)]
        if trial.score is not None:
            metrics.append(Metric(key="score", value=trial.score))
        step = max(1, len(curve) // CURVE_POINTS)
        metrics += [Metric(key=f"valid_{curve_name}", value=v, step=i)
                    for i, v in enumerate(curve) if i % step == 0 or i == len(curve) - 1]
        params = {"family": trial.family, **{k: _text(v) for k, v in trial.params.items()}}
        runs.log_batch(self.ctx, child.id, metrics=metrics, params=params)
        runs.update(self.ctx, child.id, status=STATES[trial.state])
        self._progress(trial)

    def _progress(self, trial: Trial) -> None:
        self.count += 1
        if trial.score is not None and (self.best is None or (
                trial.score > self.best if self.higher else trial.score < self.best)):
            self.best = trial.score
        elapsed = time.perf_counter() - self.started
        best = f"; best {self.best:.4f}" if self.best is not None else ""
        self.job.progress(min(elapsed, self.request.budget), self.request.budget,
                          f"{self.count} trial(s){best}")

    def _experiment(self) -> str:
        if not hasattr(self, "_experiment_id"):
            self._experiment_id = self.s.tracking.runs.get(self.ctx, self.run_id).experiment_id
        return self._experiment_id

    def _result(self, problem: Problem, found: SearchResult, check: Check | None,
                uri: str) -> TrainResult:
        from sluice.core.training.report import report

        states = [t.state for t in found.trials]
        result = TrainResult(
            target=self.request.target, task=found.task, metric=found.metric,
            higher_is_better=found.higher_is_better, rows=found.rows,
            features=found.features, dropped=found.dropped, split=found.split,
            best=found.best, default_score=found.default_score, trials=len(states),
            pruned=states.count("pruned"), failed=states.count("failed"),
            cut=states.count("cut"), trials_on=found.trials_on,
            search_seconds=found.seconds, seconds=time.perf_counter() - self.started,
            check=check, report="", model_uri=uri, onnx=self.onnx)
        result.report = report(self.request, problem, result)
        return result

    def _finish(self, result: TrainResult, refit_seconds: float) -> None:
        run = self.s.tracking.runs.get(self.ctx, self.run_id)
        metrics = [Metric(key="best_score", value=float(result.best.score or 0.0)),
                   Metric(key="default_score", value=result.default_score),
                   Metric(key="trials", value=float(result.trials)),
                   Metric(key="search_seconds", value=result.search_seconds),
                   Metric(key="refit_seconds", value=refit_seconds)]
        if result.check is not None:
            metrics.append(Metric(key=f"check_{result.check.metric}", value=result.check.score))
        params = {"best_family": result.best.family,
                  "onnx": "exported, checked" if result.onnx.get("exported")
                  else f"not exported: {result.onnx.get('note', '')}"[:500],
                  **{f"best.{k}": _text(v) for k, v in result.best.params.items()
                     if k != "family"}}
        self.s.tracking.runs.log_batch(self.ctx, self.run_id, metrics=metrics, params=params)
        with tempfile.TemporaryDirectory(prefix="sluice-train-") as tmp:
            path = Path(tmp) / "report.md"
            path.write_text(result.report)
            self.s.tracking.artifacts.put_file(self.ctx, f"{run.artifact_root}/report.md", path)
        self.end("FINISHED")


class _Raw:
    """A fitted model with the predict() the Predictor calls."""

    def __init__(self, fitted: Fitted) -> None:
        self.fitted = fitted

    def predict(self, x: np.ndarray) -> np.ndarray:
        from sluice.core.training.families import predict_any

        return predict_any(self.fitted, x)


def _text(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)
