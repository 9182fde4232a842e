"""Experiments, runs, metrics and run artifacts (Sluice's own API; MLflow's lives in
``api/compat/mlflow``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from sluice.api.compat.mlflow.artifacts import file_response, received_file
from sluice.api.deps import CtxDep, PlatformDep
from sluice.api.policy import policy
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
    join,
    safe_relpath,
)
from sluice.errors import NotFound

router = APIRouter(prefix="/api/v1", tags=["tracking"])


def as_json(model: BaseModel) -> Response:
    """Pydantic's own JSON (NaN and infinite metric values as strings, not an error)."""
    return Response(model.model_dump_json(), media_type="application/json")


class ExperimentCreate(BaseModel):
    name: str
    tags: dict[str, str] = Field(default_factory=dict)
    exist_ok: bool = False


class RunCreate(BaseModel):
    experiment: str = Field("Default", description="Experiment id or name.")
    name: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    parent: str | None = Field(None, description="Parent run id (nested runs).")


class RunUpdate(BaseModel):
    status: RunStatus | None = None
    name: str | None = None


class LogBatch(BaseModel):
    metrics: list[Metric] = Field(default_factory=list)
    params: dict[str, str] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)


class RunSearch(BaseModel):
    experiments: list[str] | None = Field(None, description="Ids or names; all by default.")
    filter: str | None = Field(None, description="MLflow filter syntax.")
    order_by: list[str] | None = None
    max_results: int = 100
    page_token: str | None = None


@router.get("/experiments")
def list_experiments(ctx: CtxDep, platform: PlatformDep) -> list[Experiment]:
    """The project's active experiments."""
    return platform.tracking.experiments.list(ctx)


@router.post("/experiments", status_code=201)
def create_experiment(body: ExperimentCreate, ctx: CtxDep,
                      platform: PlatformDep) -> Experiment:
    """A new experiment (or the existing one with ``exist_ok``)."""
    if body.exist_ok:
        return platform.tracking.experiments.ensure(ctx, body.name)
    return platform.tracking.experiments.create(ctx, body.name, tags=body.tags)


@router.get("/experiments/{ref}")
def get_experiment(ref: str, ctx: CtxDep, platform: PlatformDep) -> Experiment:
    """An experiment by id or name."""
    return platform.tracking.experiments.get(ctx, ref)


@router.delete("/experiments/{ref}")
def delete_experiment(ref: str, ctx: CtxDep, platform: PlatformDep) -> Experiment:
    """Move an experiment and its runs to the trash (not the Default one)."""
    return platform.tracking.experiments.delete(ctx, ref)


@router.post("/experiments/{ref}/restore")
def restore_experiment(ref: str, ctx: CtxDep, platform: PlatformDep) -> Experiment:
    """Bring a deleted experiment back."""
    return platform.tracking.experiments.restore(ctx, ref)


@router.post("/runs", status_code=201, response_model=Run)
def create_run(body: RunCreate, ctx: CtxDep, platform: PlatformDep) -> Response:
    """Start a run."""
    run = platform.tracking.runs.create(ctx, body.experiment, name=body.name,
                                        tags=body.tags, parent_id=body.parent)
    response = as_json(run)
    response.status_code = 201
    return response


@router.post("/runs/search", response_model=RunPage, openapi_extra=policy(permission="runs.read"))
def search_runs(body: RunSearch, ctx: CtxDep, platform: PlatformDep) -> Response:
    """Runs matching a filter, ordered, one page at a time."""
    return as_json(platform.tracking.search(ctx, body.experiments, filter=body.filter,
                                            order_by=body.order_by,
                                            max_results=body.max_results,
                                            page_token=body.page_token))


@router.get("/runs/compare", response_model=RunComparison)
def compare_runs(ctx: CtxDep, platform: PlatformDep,
                 ids: Annotated[list[str] | None, Query()] = None) -> Response:
    """Runs side by side (2 to 20 ``ids``): params that differ, latest metrics."""
    return as_json(platform.tracking.runs.compare(ctx, ids or []))


@router.get("/runs/{run_id}", response_model=Run)
def get_run(run_id: str, ctx: CtxDep, platform: PlatformDep) -> Response:
    """A run with params, tags, latest metrics, inputs and outputs."""
    return as_json(platform.tracking.runs.get(ctx, run_id))


@router.patch("/runs/{run_id}", response_model=Run)
def update_run(run_id: str, body: RunUpdate, ctx: CtxDep, platform: PlatformDep) -> Response:
    """End a run (status) or rename it."""
    return as_json(platform.tracking.runs.update(ctx, run_id, status=body.status,
                                                 name=body.name))


@router.delete("/runs/{run_id}", status_code=204)
def delete_run(run_id: str, ctx: CtxDep, platform: PlatformDep) -> Response:
    """Soft-delete a run."""
    platform.tracking.runs.set_stage(ctx, run_id, "deleted")
    return Response(status_code=204)


@router.post("/runs/{run_id}/log", status_code=204)
def log_batch(run_id: str, body: LogBatch, ctx: CtxDep, platform: PlatformDep) -> Response:
    """Write metrics, params and tags in one transaction."""
    platform.tracking.runs.log_batch(ctx, run_id, metrics=body.metrics, params=body.params,
                                     tags=body.tags)
    return Response(status_code=204)


@router.post("/runs/{run_id}/inputs", status_code=204)
def log_inputs(run_id: str, body: list[RunInput], ctx: CtxDep,
               platform: PlatformDep) -> Response:
    """Record datasets the run read."""
    platform.tracking.runs.log_inputs(ctx, run_id, body)
    return Response(status_code=204)


@router.get("/runs/{run_id}/metrics/{key:path}", response_model=MetricPage)
def metric_history(run_id: str, key: str, ctx: CtxDep, platform: PlatformDep,
                   max_results: int = 25_000, page_token: str | None = None) -> Response:
    """Every value of one metric, by step."""
    return as_json(platform.tracking.runs.history(ctx, run_id, key, max_results=max_results,
                                                  page_token=page_token))


@router.get("/runs/{run_id}/artifacts")
def list_artifacts(run_id: str, ctx: CtxDep, platform: PlatformDep,
                   path: str = "") -> list[ArtifactEntry]:
    """Files and folders directly under ``path``."""
    root = platform.tracking.runs.get(ctx, run_id).artifact_root
    entries = platform.tracking.artifacts.list(ctx, join(root, path))
    if entries is None:
        raise NotFound(f"{path!r} is a file, not a folder", code="not_a_folder")
    return entries


@router.put("/runs/{run_id}/artifacts/{path:path}", status_code=201,
            openapi_extra=policy(body="max_artifact_bytes", streamed=True, permission="runs.write"))
async def upload_artifact(run_id: str, path: str, request: Request, ctx: CtxDep,
                          platform: PlatformDep) -> ArtifactEntry:
    """Store the request body as the artifact ``path`` (streamed to disk)."""
    ctx.require("runs.write", "write artifacts")
    safe_relpath(path)
    run = await run_in_threadpool(platform.tracking.runs.get, ctx, run_id)
    async with received_file(request, platform) as tmp:
        return await run_in_threadpool(platform.tracking.artifacts.put_file, ctx,
                                       join(run.artifact_root, path), tmp)


@router.get("/runs/{run_id}/artifacts/{path:path}")
def download_artifact(run_id: str, path: str, ctx: CtxDep, platform: PlatformDep) -> Response:
    """One artifact file, streamed."""
    root = platform.tracking.runs.get(ctx, run_id).artifact_root
    return file_response(platform, ctx, join(root, path))
