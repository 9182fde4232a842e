"""Tracking and registry in the SDK: ``client.experiments``, ``client.runs``,
``client.models`` and ``with client.run(experiment="churn") as run: ...``.

An :class:`ActiveRun` buffers what a training loop logs and writes it in batches (at most
every second, or every 1,000 metrics, and when the run ends), so logging every step costs
a list append, not a request.
"""

from __future__ import annotations

import builtins
import os
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sluice.core.registry import (
    AliasChange,
    LoadedModel,
    ModelCard,
    ModelVersion,
    Prediction,
    RegisteredModel,
)
from sluice.core.tracking import (
    ArtifactEntry,
    Experiment,
    Metric,
    MetricPage,
    Run,
    RunComparison,
    RunInput,
    RunPage,
    RunStatus,
)
from sluice.errors import InvalidInput

if TYPE_CHECKING:
    from sluice.sdk.api import Client

FLUSH_METRICS = 1000
MetricsArg = list[Metric] | list[dict[str, Any]] | None
FLUSH_SECONDS = 1.0


def as_metrics(metrics: MetricsArg) -> builtins.list[Metric]:
    """Metrics given as objects or as ``{"key", "value", "step"}`` dicts."""
    return [m if isinstance(m, Metric) else Metric.model_validate(m) for m in metrics or []]


def all_pages(fetch: Callable[[str | None], MetricPage]) -> builtins.list[Metric]:
    """Every metric of a paginated history: ``fetch(page_token)`` until no token is left."""
    out: builtins.list[Metric] = []
    token: str | None = None
    while True:
        page = fetch(token)
        out += page.metrics
        token = page.next_page_token
        if not token:
            return out


class ExperimentsAPI(ABC):
    """``client.experiments``."""

    @abstractmethod
    def list(self) -> builtins.list[Experiment]:
        """The project's active experiments."""

    @abstractmethod
    def get(self, ref: str) -> Experiment:
        """By id or name. Raises NotFound: ``experiment_not_found``."""

    @abstractmethod
    def create(self, name: str, *, tags: dict[str, str] | None = None,
               exist_ok: bool = False) -> Experiment:
        """A new experiment (or the existing one with ``exist_ok``)."""

    @abstractmethod
    def delete(self, ref: str) -> Experiment:
        """Move an experiment and its runs to the trash (not the Default one)."""

    @abstractmethod
    def restore(self, ref: str) -> Experiment:
        """Bring a deleted experiment back."""


class RunsAPI(ABC):
    """``client.runs``: the calls an :class:`ActiveRun` is made of, and run queries."""

    @abstractmethod
    def create(self, experiment: str, *, name: str | None = None,
               tags: dict[str, str] | None = None, parent: str | None = None) -> Run:
        """Start a run (status RUNNING) in an experiment (id or name)."""

    @abstractmethod
    def get(self, run_id: str) -> Run:
        """A run with params, tags, latest metrics, inputs and outputs."""

    @abstractmethod
    def end(self, run_id: str, status: RunStatus = RunStatus.FINISHED) -> Run:
        """Set the final status and end time."""

    @abstractmethod
    def delete(self, run_id: str) -> None:
        """Soft-delete a run (search and lists leave it out)."""

    @abstractmethod
    def log_batch(self, run_id: str, *, metrics: MetricsArg = None,
                  params: dict[str, str] | None = None,
                  tags: dict[str, str] | None = None) -> None:
        """Write metrics (objects or dicts), params and tags at once.
        Params never change once logged."""

    @abstractmethod
    def log_inputs(self, run_id: str, inputs: builtins.list[RunInput]) -> None:
        """Record datasets the run read."""

    @abstractmethod
    def history(self, run_id: str, key: str) -> builtins.list[Metric]:
        """Every value of one metric, by step."""

    @abstractmethod
    def search(self, experiments: builtins.list[str] | None = None, *,
               filter: str | None = None, order_by: builtins.list[str] | None = None,
               max_results: int = 100, page_token: str | None = None) -> RunPage:
        """Runs matching an MLflow filter (``metrics.acc > 0.9 and params.lr = '0.1'``)."""

    @abstractmethod
    def upload_artifact(self, run_id: str, local: str | os.PathLike[str],
                        path: str) -> ArtifactEntry:
        """Store one local file as the run's artifact ``path``."""

    @abstractmethod
    def artifacts(self, run_id: str, path: str = "") -> builtins.list[ArtifactEntry]:
        """Files and folders directly under ``path`` in the run's artifacts."""

    @abstractmethod
    def download_artifact(self, run_id: str, path: str,
                          dest: str | os.PathLike[str]) -> Path:
        """Copy one artifact file to ``dest`` (a file path), streaming."""

    @abstractmethod
    def compare(self, run_ids: builtins.list[str]) -> RunComparison:
        """Runs side by side (2 to 20): params that differ and latest metrics."""


class ModelsAPI(ABC):
    """``client.models``: the registry."""

    @abstractmethod
    def list(self) -> builtins.list[RegisteredModel]: ...

    @abstractmethod
    def update(self, name: str, *, description: str | None = None,
               tags: dict[str, str] | None = None,
               version: int | None = None) -> RegisteredModel | ModelVersion:
        """Set a model's (or, with ``version``, one version's) description and tags; the
        tags given are merged into the ones it has."""

    @abstractmethod
    def get(self, name: str) -> RegisteredModel: ...

    @abstractmethod
    def versions(self, name: str) -> builtins.list[ModelVersion]: ...

    @abstractmethod
    def version(self, name: str, ref: str | int = "latest") -> ModelVersion:
        """A version by number, ``latest`` or ``@alias``."""

    @abstractmethod
    def register(self, name: str, source: str, *, description: str = "",
                 tags: dict[str, str] | None = None) -> ModelVersion:
        """A new version from ``runs:/<run>/<path>`` or ``models:/<logged model>``;
        creates the registered model on first use."""

    @abstractmethod
    def set_alias(self, name: str, alias: str, version: int) -> ModelVersion:
        """Point ``@alias`` at a version (recorded with who, when, from and to)."""

    @abstractmethod
    def delete_alias(self, name: str, alias: str) -> None: ...

    @abstractmethod
    def alias_history(self, name: str) -> builtins.list[AliasChange]: ...

    @abstractmethod
    def card(self, name: str, ref: str | int = "latest") -> ModelCard: ...

    @abstractmethod
    def load(self, uri: str, *, allow_pickle: bool = False) -> LoadedModel:
        """Load ``models:/name@alias`` (or ``/version``) from a safe format."""

    @abstractmethod
    def predict(self, name: str, inputs: builtins.list[Any], *,
                ref: str | int = "latest") -> Prediction:
        """Predict rows of features with a version (a number, ``latest`` or an alias), where
        the workspace or server runs; the version is loaded once and kept."""


class ActiveRun:
    """A run being logged to; use it as a context manager (FINISHED, or FAILED on error)."""

    def __init__(self, client: Client, run: Run) -> None:
        self._client = client
        self.id = run.id
        self.experiment_id = run.experiment_id
        self.name = run.name
        self._metrics: list[Metric] = []
        self._params: dict[str, str] = {}
        self._tags: dict[str, str] = {}
        self._last_flush = time.monotonic()
        self._lock = threading.Lock()

    @property
    def info(self) -> Run:
        """The run as stored (flushes first)."""
        self.flush()
        return self._client.runs.get(self.id)

    def log_param(self, key: str, value: Any) -> None:
        self.log_params({key: value})

    def log_params(self, params: dict[str, Any]) -> None:
        with self._lock:
            self._params.update({k: str(v) for k, v in params.items()})
        self._maybe_flush()

    def set_tag(self, key: str, value: Any) -> None:
        self.set_tags({key: value})

    def set_tags(self, tags: dict[str, Any]) -> None:
        with self._lock:
            self._tags.update({k: str(v) for k, v in tags.items()})
        self._maybe_flush()

    def log_metric(self, key: str, value: float, step: int = 0) -> None:
        self.log_metrics({key: value}, step=step)

    def log_metrics(self, metrics: dict[str, float], step: int = 0) -> None:
        stamp = int(time.time() * 1000)
        with self._lock:
            self._metrics.extend(Metric(key=k, value=float(v), step=step, timestamp=stamp)
                                 for k, v in metrics.items())
        self._maybe_flush()

    def log_artifact(self, local: str | os.PathLike[str],
                     artifact_path: str | None = None) -> ArtifactEntry:
        """Upload one file (under the folder ``artifact_path``, if given)."""
        path = Path(local)
        if path.is_symlink():
            raise InvalidInput(f"{path} is a symbolic link; artifacts are copied from regular "
                               "files only", code="invalid_artifact_path")
        name = f"{artifact_path.strip('/')}/{path.name}" if artifact_path else path.name
        return self._client.runs.upload_artifact(self.id, path, name)

    def log_artifacts(self, folder: str | os.PathLike[str],
                      artifact_path: str | None = None) -> builtins.list[ArtifactEntry]:
        """Upload a folder's files; symbolic links are refused, not followed."""
        root = Path(folder)
        files = sorted(p for p in root.rglob("*") if p.is_file() or p.is_symlink())
        links = [str(p.relative_to(root)) for p in files if p.is_symlink()]
        if links:
            raise InvalidInput(f"{root} holds symbolic links ({', '.join(links[:5])}); "
                               "artifacts are copied from regular files only, so nothing "
                               "was uploaded", code="invalid_artifact_path")
        stored = []
        for file in files:
            rel = file.relative_to(root).parent.as_posix()
            sub = "/".join(p for p in (artifact_path or "", rel) if p and p != ".")
            stored.append(self.log_artifact(file, sub or None))
        return stored

    def log_input(self, dataset: str, *, context: str = "training") -> None:
        """Record a Sluice dataset version (``name`` or ``name@3``) as read by this run."""
        version = self._client.datasets.version(dataset)
        name = dataset.split("@", 1)[0]
        ref = f"{name}@{version.number}"
        details: dict[str, Any] = {"rows": version.row_count}
        sources = label_sources(self._client, name, ref)
        if sources:
            details["label_sources"] = sources
        self._client.runs.log_inputs(self.id, [RunInput(
            name=name, digest=f"v{version.number}", source_type="sluice",
            source=f"sluice:{ref.replace('@', '@v')}", context=context, details=details)])

    def flush(self) -> None:
        with self._lock:
            metrics, params, tags = self._metrics, self._params, self._tags
            self._metrics, self._params, self._tags = [], {}, {}
            self._last_flush = time.monotonic()
        for start in range(0, max(len(metrics), 1), 10_000):
            chunk = metrics[start:start + 10_000]
            if chunk or params or tags:
                self._client.runs.log_batch(self.id, metrics=chunk, params=params, tags=tags)
            params, tags = {}, {}

    def end(self, status: RunStatus = RunStatus.FINISHED) -> Run:
        self.flush()
        return self._client.runs.end(self.id, status)

    def _maybe_flush(self) -> None:
        if (len(self._metrics) >= FLUSH_METRICS
                or time.monotonic() - self._last_flush >= FLUSH_SECONDS):
            self.flush()

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.end(RunStatus.FAILED if exc_type else RunStatus.FINISHED)


def label_sources(client: Client, dataset: str, ref: str) -> builtins.list[str]:
    """How the label columns of a dataset version were made, for model cards."""
    from sluice.core.labels import describe_label_sources

    columns = {c.name for c in client.datasets.schema(ref)}
    if not any(c.startswith(("label_", "weak_")) for c in columns):
        return []
    return describe_label_sources(columns, [
        (schema.name, [f.name for f in client.labels.functions(dataset, schema.name)])
        for schema in client.labels.schemas(dataset)])


def start_run(client: Client, experiment: str, *, name: str | None = None,
              tags: dict[str, str] | None = None, parent: str | None = None) -> ActiveRun:
    exp = client.experiments.create(experiment, exist_ok=True)
    return ActiveRun(client, client.runs.create(exp.id, name=name, tags=tags, parent=parent))
