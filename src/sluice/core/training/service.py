"""The training area's service: start a search as a job, show it with its leaderboard,
register its best model.

Each search is a job (``training.automl``) with a parent run; each trial is a child run
of it (params, per-fold scores, the validation curve), and the best settings refit on
every row are stored as the parent run's ``model/`` artifact. Registering makes a model
version of that artifact, whose card reads the run: data version, label sources, metrics.
"""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sluice.core.jobs.models import JobInfo, JobState
from sluice.core.training.models import (
    FinetuneRequest,
    FinetuneResult,
    Finetuning,
    LeaderboardEntry,
    Preview,
    Task,
    Training,
    TrainRequest,
    TrainResult,
)
from sluice.core.training.tabular import check_budget
from sluice.errors import Conflict, Forbidden, InvalidInput, NotFound, SluiceError

if TYPE_CHECKING:
    from sluice.core.context import Ctx
    from sluice.core.datasets.service import DatasetService
    from sluice.core.jobs.service import JobService
    from sluice.core.labels.service import LabelService
    from sluice.core.registry.models import ModelVersion
    from sluice.core.registry.service import ModelHub
    from sluice.core.tracking.service import TrackingService
    from sluice.settings import Settings

KIND = "training.automl"
TRIAL_TAG = "sluice.trial"
STATES = {"complete": "FINISHED", "pruned": "KILLED", "cut": "KILLED", "failed": "FAILED"}
CURVE_POINTS = 200
PREVIEW_ROWS = 5000


class TrainingService:
    def __init__(self, datasets: DatasetService, tracking: TrackingService, hub: ModelHub,
                 jobs: JobService, labels: LabelService, settings: Settings) -> None:
        self.datasets, self.tracking, self.hub = datasets, tracking, hub
        self.jobs, self.labels, self.settings = jobs, labels, settings

    def train(self, ctx: Ctx, request: TrainRequest) -> Training:
        """Check ``request`` against the dataset version and start the search job.

        Raises:
            InvalidInput: ``invalid_budget``, ``target_not_found``, ``column_not_found``,
                ``dataset_too_large``; NotFound: no such dataset or version.
        """
        ctx.require("training.run", "train models")
        check_budget(request.budget)
        version = self.datasets.version(ctx, request.dataset)
        request = request.model_copy(update={"dataset": f"{version.dataset}@{version.number}"})
        self._check_columns(ctx, request, version.row_count)
        job = self._submit(ctx, KIND, request.model_dump(mode="json"),
                           request.experiment or f"train-{version.dataset}",
                           f"train {request.target} from {request.dataset}")
        return self._training(ctx, job)

    def _check_columns(self, ctx: Ctx, request: TrainRequest, rows: int) -> None:
        if rows > self.settings.train_max_rows:
            raise InvalidInput(f"this version has {rows:,} rows; training takes at most "
                               f"{self.settings.train_max_rows:,} (setting train_max_rows)",
                               code="dataset_too_large", details={"rows": rows})
        names = [c.name for c in self.datasets.schema(ctx, request.dataset)]
        if request.target not in names:
            raise InvalidInput(f"no column {request.target!r} to predict; the columns are "
                               f"{', '.join(n for n in names if not n.startswith('_'))}",
                               code="target_not_found", details={"target": request.target})
        named = [*(request.columns or []), request.time_column, request.weight_column,
                 request.check_column]
        missing = [c for c in named if c and c not in names]
        if missing:
            raise InvalidInput(f"no column {missing[0]!r} in {request.dataset}",
                               code="column_not_found", details={"columns": missing})

    def preview(self, ctx: Ctx, dataset: str, target: str | None = None) -> Preview:
        """The columns of a version and, for ``target``, the task and features a search
        would use, read from its first rows; a target it cannot learn is described in
        ``problem`` rather than raised."""
        from sluice.core.training.featurize import SYSTEM_COLUMNS, fit_recipe
        from sluice.core.training.tabular import check_target

        ctx.require("training.read", "see training")
        version = self.datasets.version(ctx, dataset)
        frame = self.datasets.open(ctx, version.ref).to_table(limit=PREVIEW_ROWS).to_pandas()
        out = Preview(dataset=version.ref, rows=version.row_count,
                      columns=[c for c in frame.columns if c not in SYSTEM_COLUMNS])
        if not target:
            return out
        out.target = target
        try:
            y, out.task = check_target(frame, target, folds=3)
            recipe, out.dropped = fit_recipe(frame.loc[y.index], target)
        except SluiceError as exc:
            out.problem = {"code": exc.code, "message": str(exc)}
            return out
        out.features = {c.name: c.kind for c in recipe.columns}
        if out.task is not Task.REGRESSION:
            out.classes = {str(k): int(v) for k, v in
                           y.astype(str).value_counts().head(10).items()}
        return out

    def get(self, ctx: Ctx, job_id: str) -> Training:
        ctx.require("training.read", "see training")
        job = self.jobs.get(ctx, job_id)
        if job.kind != KIND:
            raise NotFound(f"job {job_id} is not a training job", code="training_not_found")
        return self._training(ctx, job)

    def list(self, ctx: Ctx, *, limit: int = 50) -> builtins.list[Training]:
        ctx.require("training.read", "see training")
        return [self._training(ctx, j, board=False)
                for j in self.jobs.list(ctx, kind=KIND, limit=limit)]

    def finetune(self, ctx: Ctx, request: FinetuneRequest, *,
                 local: bool = True) -> Finetuning:
        """Check ``request`` against the dataset version and start the fine-tuning job.
        ``local`` callers run on this machine and may name any base folder; remote ones
        only folders under ``model_roots``.

        Raises:
            InvalidInput: ``column_not_found``, ``invalid_base_model``; NotFound: no such
                dataset or version; Forbidden: ``path_not_allowed``.
        """
        from sluice.core.training.finetune_job import KIND_FINETUNE
        from sluice.core.training.lora import BUNDLED

        ctx.require("training.run", "fine-tune models")
        version = self.datasets.version(ctx, request.dataset)
        request = request.model_copy(update={"dataset": version.ref})
        if version.row_count > self.settings.train_max_rows:
            raise InvalidInput(f"this version has {version.row_count:,} rows; training takes "
                               f"at most {self.settings.train_max_rows:,} (train_max_rows)",
                               code="dataset_too_large", details={"rows": version.row_count})
        names = [c.name for c in self.datasets.schema(ctx, version.ref)]
        asked = [request.messages_column] if request.messages_column else \
            [request.prompt_column, request.response_column]
        missing = [c for c in asked if c not in names]
        if missing:
            raise InvalidInput(f"no column {missing[0]!r} in {version.ref}; name the prompt "
                               "and response columns, or a messages column",
                               code="column_not_found",
                               details={"columns": missing})
        if request.base != BUNDLED and not local:
            self._check_root(request.base)
        if request.base != BUNDLED and not (Path(request.base).expanduser()
                                            / "config.json").is_file():
            raise InvalidInput(f"{request.base!r} is not a model folder (no config.json)",
                               code="invalid_base_model", details={"base": request.base})
        return self._finetuning(ctx, self._submit(
            ctx, KIND_FINETUNE, request.model_dump(mode="json"), request.experiment
            or f"finetune-{version.dataset}", f"LoRA on {request.base} from {version.ref}"))

    def finetunings(self, ctx: Ctx, *, limit: int = 50) -> builtins.list[Finetuning]:
        """Recent fine-tuning jobs, newest first."""
        from sluice.core.training.finetune_job import KIND_FINETUNE

        ctx.require("training.read", "see training")
        return [self._finetuning(ctx, j, curve=False)
                for j in self.jobs.list(ctx, kind=KIND_FINETUNE, limit=limit)]

    def finetuning(self, ctx: Ctx, job_id: str) -> Finetuning:
        from sluice.core.training.finetune_job import KIND_FINETUNE

        ctx.require("training.read", "see training")
        job = self.jobs.get(ctx, job_id)
        if job.kind != KIND_FINETUNE:
            raise NotFound(f"job {job_id} is not a fine-tuning job", code="training_not_found")
        return self._finetuning(ctx, job)

    def _submit(self, ctx: Ctx, kind: str, request: dict[str, Any], experiment: str,
                name: str) -> JobInfo:
        exp = self.tracking.experiments.ensure(ctx, experiment)
        run = self.tracking.runs.create(ctx, exp.id, name=name,
                                        tags={"sluice.training": kind,
                                              "sluice.dataset": str(request["dataset"])})
        try:
            return self.jobs.submit(ctx, kind, {"request": request, "run_id": run.id})
        except Exception:
            self.tracking.runs.update(ctx, run.id, status="FAILED")
            raise

    def _finetuning(self, ctx: Ctx, job: JobInfo, *, curve: bool = True) -> Finetuning:
        run_id = str(job.params.get("run_id", ""))
        run = self.tracking.runs.get(ctx, run_id)
        points = self.tracking.runs.history_rows(ctx, run_id, "train_loss")[0] if curve else []
        result = FinetuneResult.model_validate(job.result) if (
            job.state is JobState.SUCCEEDED and job.result) else None
        return Finetuning(id=job.id, state=str(job.state), message=job.message,
                          fraction=job.fraction,
                          request=FinetuneRequest.model_validate(job.params["request"]),
                          run_id=run_id, experiment_id=run.experiment_id, result=result,
                          error=job.error, loss_curve={"steps": [p[1] for p in points],
                                                       "values": [p[0] for p in points]})

    def bundled_folder(self) -> Path:
        from sluice.inference.llms import bundled_folder

        return bundled_folder(self.settings)

    def cancel(self, ctx: Ctx, job_id: str) -> Training:
        """Ask a training job to stop; the trials it finished stay as runs."""
        self.get(ctx, job_id)
        self.jobs.cancel(ctx, job_id)
        return self.get(ctx, job_id)

    def _check_root(self, base: str) -> None:
        """A remote caller's base folder must be under ``model_roots`` (checked before the
        folder is looked at, so nothing is told about other paths)."""
        real = Path(base).expanduser().resolve()
        allowed = [Path(r).resolve() for r in self.settings.model_roots]
        if not any(real == a or a in real.parents for a in allowed):
            raise Forbidden(f"{base} is not under a folder this server lets remote callers "
                            "use as a base model (model_roots); name smollm2 or ask the "
                            "operator to add the folder", code="path_not_allowed")

    def merge(self, ctx: Ctx, adapter: str, name: str, *,
              description: str = "") -> ModelVersion:
        """Merge a registered LoRA adapter (``name@alias``, ``name/3``) into its base and
        register the whole model as a new version of ``name``, usable wherever a model is
        chosen (``sluice ask --model``, the OpenAI routes). Its files go with the adapter's
        run (``merged/``).

        Raises:
            InvalidInput: ``not_an_adapter``, ``base_model_missing``; NotFound: no such
                model or version.
        """
        import tempfile

        from sluice.core.registry.llms import LanguageModels
        from sluice.core.training.lora import merge_into

        ctx.require("training.run", "merge adapters")
        ctx.require("models.write", "register models")
        version = self.hub.resolve(ctx, adapter)
        if version.tags.get("sluice.training") != "lora" or not version.run_id:
            raise InvalidInput(f"{adapter!r} is not a LoRA adapter from `sluice finetune`",
                               code="not_an_adapter", details={"model": adapter})
        models = LanguageModels(self.hub, self.settings)
        base, files = models.base(version), models.fetch(ctx, version)
        run = self.tracking.runs.get(ctx, version.run_id)
        folder = f"merged-{version.name}-v{version.version}"
        with tempfile.TemporaryDirectory(prefix="sluice-merge-") as tmp:
            merge_into(base, files, Path(tmp))
            for path in sorted(Path(tmp).rglob("*")):
                if path.is_file():
                    self.tracking.artifacts.put_file(
                        ctx, f"{run.artifact_root}/{folder}/{path.relative_to(tmp).as_posix()}",
                        path)
        base_name = version.tags.get("base_model", "")
        return self.hub.register(
            ctx, name, f"runs:/{version.run_id}/{folder}",
            description=description or f"{base_name} with the adapter {version.name} "
                                       f"v{version.version} merged in",
            tags={"sluice.training": "merged", "base_model": base_name,
                  "adapter": f"{version.name}/{version.version}",
                  "intended_use": version.tags.get("intended_use", "")})

    def register(self, ctx: Ctx, job_id: str, name: str, *,
                 description: str = "") -> ModelVersion:
        """Register the best model of a finished search as a new version of ``name``.

        Raises:
            Conflict: ``training_not_finished`` while the search runs or when it failed.
        """
        training = self.get(ctx, job_id)
        if training.result is None:
            raise Conflict(f"training {job_id} is {training.state}; register its model once "
                           "it has succeeded", code="training_not_finished")
        return register_best(self.hub, ctx, training.result, name, description=description)

    def _training(self, ctx: Ctx, job: JobInfo, *, board: bool = True) -> Training:
        run_id = str(job.params.get("run_id", ""))
        run = self.tracking.runs.get(ctx, run_id)
        result = TrainResult.model_validate(job.result) if (
            job.state is JobState.SUCCEEDED and job.result) else None
        out = Training(id=job.id, state=str(job.state), message=job.message,
                       fraction=job.fraction,
                       request=TrainRequest.model_validate(job.params["request"]),
                       run_id=run_id, experiment_id=run.experiment_id, result=result,
                       error=job.error, task=run.params.get("task"),
                       metric=run.params.get("metric"),
                       higher_is_better=run.params.get("higher_is_better", "True") == "True")
        if board:
            out.leaderboard = self._leaderboard(ctx, run.experiment_id, run_id,
                                                out.higher_is_better)
            out.best_curve = self._curve(ctx, out.leaderboard)
        return out

    def _leaderboard(self, ctx: Ctx, experiment_id: str, run_id: str,
                     higher: bool) -> builtins.list[LeaderboardEntry]:
        page = self.tracking.search(ctx, [experiment_id], max_results=5000,
                                    filter=f"tags.mlflow.parentRunId = '{run_id}'")
        entries = [_entry(r) for r in page.runs]

        def rank(e: LeaderboardEntry) -> tuple[int, float, int]:
            if e.score is None:
                return (1, 0.0, e.number)
            return (0, -e.score if higher else e.score, e.number)

        return sorted(entries, key=rank)

    def _curve(self, ctx: Ctx, board: builtins.list[LeaderboardEntry]) -> dict[str, Any]:
        """The validation curve of the best trial that has one (a linear model and the
        100-round baseline have none)."""
        for best in [e for e in board if e.score is not None][:5]:
            run = self.tracking.runs.get(ctx, best.run_id)
            key = next((k for k in run.metrics if k.startswith("valid_")), None)
            if key is not None:
                break
        else:
            return {}
        points, _ = self.tracking.runs.history_rows(ctx, best.run_id, key)
        return {"run_id": best.run_id, "metric": key,
                "steps": [p[1] for p in points], "values": [p[0] for p in points]}


def _entry(run: Any) -> LeaderboardEntry:
    metrics = {k: m.value for k, m in run.metrics.items()}
    state = run.tags.get(TRIAL_TAG, "running")
    params = {k: v for k, v in run.params.items()}
    return LeaderboardEntry(run_id=run.id, number=int(run.tags.get("sluice.trial_number", 0)),
                            family=params.get("family", "lightgbm"), state=state,
                            score=metrics.get("score") if state == "complete" else None,
                            rounds=int(metrics.get("rounds", 0)),
                            seconds=float(metrics.get("seconds", 0.0)), params=params,
                            note=run.tags.get("sluice.note", ""))


def register_best(hub: ModelHub, ctx: Ctx, result: TrainResult, name: str, *,
                  description: str = "") -> ModelVersion:
    """A model version of the search's refit model, tagged with what it predicts."""
    tags = {"intended_use": f"predicts {result.target!r} ({result.task.value}; "
                            f"{result.metric} {result.best.score:.4f} in {result.split})",
            "sluice.training": "automl", "task": result.task.value}
    return hub.register(ctx, name, result.model_uri, description=description
                        or f"AutoML {result.task.value} model", tags=tags)


def build(platform: Any) -> TrainingService:
    """The area's service factory (``platform.service("training")``)."""
    return TrainingService(platform.datasets, platform.tracking, platform.hub, platform.jobs,
                           platform.labels, platform.settings)
