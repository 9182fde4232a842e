"""Tracking and registry for the local client: direct service calls."""

from __future__ import annotations

import builtins
import os
import shutil
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
    Run,
    RunComparison,
    RunInput,
    RunPage,
    RunStatus,
    join,
)
from sluice.errors import NotFound
from sluice.sdk.tracking import (
    ExperimentsAPI,
    MetricsArg,
    ModelsAPI,
    RunsAPI,
    all_pages,
    as_metrics,
)

if TYPE_CHECKING:
    from sluice.sdk.local import LocalClient


class _Part:
    def __init__(self, client: LocalClient) -> None:
        self.platform = client.platform
        self.ctx = client.ctx


class LocalExperiments(_Part, ExperimentsAPI):
    def list(self) -> builtins.list[Experiment]:
        return self.platform.tracking.experiments.list(self.ctx)

    def get(self, ref: str) -> Experiment:
        return self.platform.tracking.experiments.get(self.ctx, ref)

    def create(self, name: str, *, tags: dict[str, str] | None = None,
               exist_ok: bool = False) -> Experiment:
        experiments = self.platform.tracking.experiments
        if exist_ok:
            return experiments.ensure(self.ctx, name)
        return experiments.create(self.ctx, name, tags=tags)

    def delete(self, ref: str) -> Experiment:
        return self.platform.tracking.experiments.delete(self.ctx, ref)

    def restore(self, ref: str) -> Experiment:
        return self.platform.tracking.experiments.restore(self.ctx, ref)


class LocalRuns(_Part, RunsAPI):
    def create(self, experiment: str, *, name: str | None = None,
               tags: dict[str, str] | None = None, parent: str | None = None) -> Run:
        return self.platform.tracking.runs.create(self.ctx, experiment, name=name, tags=tags,
                                                  parent_id=parent)

    def get(self, run_id: str) -> Run:
        return self.platform.tracking.runs.get(self.ctx, run_id)

    def compare(self, run_ids: builtins.list[str]) -> RunComparison:
        return self.platform.tracking.runs.compare(self.ctx, run_ids)

    def end(self, run_id: str, status: RunStatus = RunStatus.FINISHED) -> Run:
        return self.platform.tracking.runs.update(self.ctx, run_id, status=status)

    def delete(self, run_id: str) -> None:
        self.platform.tracking.runs.set_stage(self.ctx, run_id, "deleted")

    def log_batch(self, run_id: str, *, metrics: MetricsArg = None,
                  params: dict[str, str] | None = None,
                  tags: dict[str, str] | None = None) -> None:
        self.platform.tracking.runs.log_batch(self.ctx, run_id, metrics=as_metrics(metrics),
                                              params=params, tags=tags)

    def log_inputs(self, run_id: str, inputs: builtins.list[RunInput]) -> None:
        self.platform.tracking.runs.log_inputs(self.ctx, run_id, inputs)

    def history(self, run_id: str, key: str) -> builtins.list[Metric]:
        return all_pages(lambda token: self.platform.tracking.runs.history(
            self.ctx, run_id, key, page_token=token))

    def search(self, experiments: builtins.list[str] | None = None, *,
               filter: str | None = None, order_by: builtins.list[str] | None = None,
               max_results: int = 100, page_token: str | None = None) -> RunPage:
        return self.platform.tracking.search(self.ctx, experiments, filter=filter,
                                             order_by=order_by, max_results=max_results,
                                             page_token=page_token)

    def upload_artifact(self, run_id: str, local: str | os.PathLike[str],
                        path: str) -> ArtifactEntry:
        root = self.get(run_id).artifact_root
        return self.platform.tracking.artifacts.put_file(self.ctx, join(root, path),
                                                         Path(local))

    def artifacts(self, run_id: str, path: str = "") -> builtins.list[ArtifactEntry]:
        root = self.get(run_id).artifact_root
        entries = self.platform.tracking.artifacts.list(self.ctx, join(root, path))
        if entries is None:
            raise NotFound(f"{path!r} is a file, not a folder", code="not_a_folder")
        return entries

    def download_artifact(self, run_id: str, path: str,
                          dest: str | os.PathLike[str]) -> Path:
        root = self.get(run_id).artifact_root
        target = Path(dest)
        with self.platform.tracking.artifacts.open(self.ctx, join(root, path)) as src, \
                target.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1024 * 1024)
        return target


class LocalModels(_Part, ModelsAPI):
    def list(self) -> builtins.list[RegisteredModel]:
        return self.platform.registry.list(self.ctx)

    def get(self, name: str) -> RegisteredModel:
        return self.platform.registry.get(self.ctx, name)

    def update(self, name: str, *, description: str | None = None,
               tags: dict[str, str] | None = None,
               version: int | None = None) -> RegisteredModel | ModelVersion:
        registry = self.platform.registry
        if version is None:
            return registry.update(self.ctx, name, description=description, tags=tags)
        return registry.update_version(self.ctx, name, version, description=description,
                                       tags=tags)

    def versions(self, name: str) -> builtins.list[ModelVersion]:
        return self.platform.registry.versions(self.ctx, name)

    def version(self, name: str, ref: str | int = "latest") -> ModelVersion:
        return self.platform.registry.version(self.ctx, name, ref)

    def predict(self, name: str, inputs: builtins.list[Any], *,
                ref: str | int = "latest") -> Prediction:
        return self.platform.predictions.predict(self.ctx, name, ref, inputs)

    def register(self, name: str, source: str, *, description: str = "",
                 tags: dict[str, str] | None = None) -> ModelVersion:
        return self.platform.hub.register(self.ctx, name, source, description=description,
                                          tags=tags)

    def set_alias(self, name: str, alias: str, version: int) -> ModelVersion:
        return self.platform.registry.set_alias(self.ctx, name, alias, version)

    def delete_alias(self, name: str, alias: str) -> None:
        self.platform.registry.delete_alias(self.ctx, name, alias)

    def alias_history(self, name: str) -> builtins.list[AliasChange]:
        return self.platform.registry.alias_history(self.ctx, name)

    def card(self, name: str, ref: str | int = "latest") -> ModelCard:
        return self.platform.hub.card(self.ctx, name, ref)

    def load(self, uri: str, *, allow_pickle: bool = False) -> LoadedModel:
        return self.platform.hub.load(self.ctx, uri, allow_pickle=allow_pickle)
