"""Tracking and registry for the REST client."""

from __future__ import annotations

import builtins
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from sluice.core.registry import (
    AliasChange,
    LoadedModel,
    ModelCard,
    ModelVersion,
    Prediction,
    RegisteredModel,
    load_files,
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
    safe_relpath,
)
from sluice.errors import InvalidInput
from sluice.sdk.tracking import (
    ExperimentsAPI,
    MetricsArg,
    ModelsAPI,
    RunsAPI,
    all_pages,
    as_metrics,
)

if TYPE_CHECKING:
    from sluice.sdk.remote import RemoteClient

CHUNK = 1024 * 1024


def _q(text: str | int) -> str:
    return quote(str(text), safe="")


class _Part:
    def __init__(self, client: RemoteClient) -> None:
        self.http = client.http


class RemoteExperiments(_Part, ExperimentsAPI):
    def list(self) -> builtins.list[Experiment]:
        return self.http.model(builtins.list[Experiment], "GET", "/experiments")

    def get(self, ref: str) -> Experiment:
        return self.http.model(Experiment, "GET", f"/experiments/{_q(ref)}")

    def create(self, name: str, *, tags: dict[str, str] | None = None,
               exist_ok: bool = False) -> Experiment:
        return self.http.model(Experiment, "POST", "/experiments",
                               json={"name": name, "tags": tags or {}, "exist_ok": exist_ok})

    def delete(self, ref: str) -> Experiment:
        return self.http.model(Experiment, "DELETE", f"/experiments/{_q(ref)}")

    def restore(self, ref: str) -> Experiment:
        return self.http.model(Experiment, "POST", f"/experiments/{_q(ref)}/restore")


class RemoteRuns(_Part, RunsAPI):
    def create(self, experiment: str, *, name: str | None = None,
               tags: dict[str, str] | None = None, parent: str | None = None) -> Run:
        return self.http.model(Run, "POST", "/runs", json={
            "experiment": experiment, "name": name, "tags": tags or {}, "parent": parent})

    def get(self, run_id: str) -> Run:
        return self.http.model(Run, "GET", f"/runs/{_q(run_id)}")

    def compare(self, run_ids: builtins.list[str]) -> RunComparison:
        return self.http.model(RunComparison, "GET", "/runs/compare",
                               params=[("ids", i) for i in run_ids])

    def end(self, run_id: str, status: RunStatus = RunStatus.FINISHED) -> Run:
        return self.http.model(Run, "PATCH", f"/runs/{_q(run_id)}",
                               json={"status": str(status)})

    def delete(self, run_id: str) -> None:
        self.http.call("DELETE", f"/runs/{_q(run_id)}")

    def log_batch(self, run_id: str, *, metrics: MetricsArg = None,
                  params: dict[str, str] | None = None,
                  tags: dict[str, str] | None = None) -> None:
        # pydantic writes NaN and infinities as strings; plain JSON cannot carry them
        values = [json.loads(m.model_dump_json()) for m in as_metrics(metrics)]
        self.http.call("POST", f"/runs/{_q(run_id)}/log",
                       json={"metrics": values, "params": params or {}, "tags": tags or {}})

    def log_inputs(self, run_id: str, inputs: builtins.list[RunInput]) -> None:
        self.http.call("POST", f"/runs/{_q(run_id)}/inputs",
                       json=[i.model_dump() for i in inputs])

    def history(self, run_id: str, key: str) -> builtins.list[Metric]:
        url = f"/runs/{_q(run_id)}/metrics/{quote(key, safe='/')}"
        return all_pages(lambda token: self.http.model(
            MetricPage, "GET", url, params={"page_token": token} if token else {}))

    def search(self, experiments: builtins.list[str] | None = None, *,
               filter: str | None = None, order_by: builtins.list[str] | None = None,
               max_results: int = 100, page_token: str | None = None) -> RunPage:
        return self.http.model(RunPage, "POST", "/runs/search", json={
            "experiments": experiments, "filter": filter, "order_by": order_by,
            "max_results": max_results, "page_token": page_token})

    def upload_artifact(self, run_id: str, local: str | os.PathLike[str],
                        path: str) -> ArtifactEntry:
        file = Path(local)
        if file.is_symlink():
            raise InvalidInput(f"{file} is a symbolic link; artifacts are copied from "
                               "regular files only", code="invalid_artifact_path")
        path = safe_relpath(path)
        with file.open("rb") as fh:
            return self.http.model(ArtifactEntry, "PUT",
                                   f"/runs/{_q(run_id)}/artifacts/{quote(path, safe='/')}",
                                   content=iter(lambda: fh.read(CHUNK), b""),
                                   headers={"Content-Length": str(file.stat().st_size)})

    def artifacts(self, run_id: str, path: str = "") -> builtins.list[ArtifactEntry]:
        return self.http.model(builtins.list[ArtifactEntry], "GET",
                               f"/runs/{_q(run_id)}/artifacts", params={"path": path})

    def download_artifact(self, run_id: str, path: str,
                          dest: str | os.PathLike[str]) -> Path:
        url = f"/runs/{_q(run_id)}/artifacts/{quote(safe_relpath(path), safe='/')}"
        return self.http.download(url, Path(dest))


class RemoteModels(_Part, ModelsAPI):
    def list(self) -> builtins.list[RegisteredModel]:
        return self.http.model(builtins.list[RegisteredModel], "GET", "/models")

    def get(self, name: str) -> RegisteredModel:
        return self.http.model(RegisteredModel, "GET", f"/models/{_q(name)}")

    def update(self, name: str, *, description: str | None = None,
               tags: dict[str, str] | None = None,
               version: int | None = None) -> RegisteredModel | ModelVersion:
        body = {"description": description, "tags": tags or {}}
        if version is None:
            return self.http.model(RegisteredModel, "PATCH", f"/models/{_q(name)}", json=body)
        return self.http.model(ModelVersion, "PATCH",
                               f"/models/{_q(name)}/versions/{version}", json=body)

    def versions(self, name: str) -> builtins.list[ModelVersion]:
        return self.http.model(builtins.list[ModelVersion], "GET",
                               f"/models/{_q(name)}/versions")

    def version(self, name: str, ref: str | int = "latest") -> ModelVersion:
        return self.http.model(ModelVersion, "GET", f"/models/{_q(name)}/versions/{_q(ref)}")

    def predict(self, name: str, inputs: builtins.list[Any], *,
                ref: str | int = "latest") -> Prediction:
        return self.http.model(Prediction, "POST",
                               f"/models/{_q(name)}/versions/{_q(ref)}/predict",
                               json={"inputs": inputs})

    def register(self, name: str, source: str, *, description: str = "",
                 tags: dict[str, str] | None = None) -> ModelVersion:
        return self.http.model(ModelVersion, "POST", f"/models/{_q(name)}/versions", json={
            "source": source, "description": description, "tags": tags or {}})

    def set_alias(self, name: str, alias: str, version: int) -> ModelVersion:
        return self.http.model(ModelVersion, "PUT", f"/models/{_q(name)}/aliases/{_q(alias)}",
                               json={"version": version})

    def delete_alias(self, name: str, alias: str) -> None:
        self.http.call("DELETE", f"/models/{_q(name)}/aliases/{_q(alias)}")

    def alias_history(self, name: str) -> builtins.list[AliasChange]:
        return self.http.model(builtins.list[AliasChange], "GET",
                               f"/models/{_q(name)}/alias-history")

    def card(self, name: str, ref: str | int = "latest") -> ModelCard:
        return self.http.model(ModelCard, "GET", f"/models/{_q(name)}/card",
                               params={"version": str(ref)})

    def load(self, uri: str, *, allow_pickle: bool = False) -> LoadedModel:
        text = uri.removeprefix("models:/")
        name, ref = text.split("@", 1) if "@" in text else (
            text.rsplit("/", 1) if "/" in text else (text, "latest"))
        ref = f"@{ref}" if "@" in text else ref
        base = f"/models/{_q(name)}/versions/{_q(ref)}/files"
        files = [e.path for e in self.http.model(builtins.list[ArtifactEntry], "GET", base)]

        def fetch(path: str, target: Path) -> None:
            self.http.download(f"{base}/{quote(path, safe='/')}", target)

        return load_files(files, fetch, allow_pickle=allow_pickle, where=uri)
