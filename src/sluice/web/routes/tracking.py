"""Experiments, the runs table (metric and param columns, sort, filter), run pages with
step-metric charts and artifacts, and the compare page (overlaid curves, param diff)."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from sluice.api.compat.mlflow.artifacts import file_response
from sluice.api.deps import PlatformDep
from sluice.api.downloads import attachment
from sluice.core.context import Ctx
from sluice.core.tracking import join
from sluice.errors import InvalidInput, SluiceError
from sluice.platform import Platform
from sluice.web.charts import line_chart
from sluice.web.session import WebCtx
from sluice.web.twin import twin

router = APIRouter(include_in_schema=False)
MAX_COLUMNS = 8


@twin(router, "/experiments", "experiments.html")
def experiments_page(request: Request, ctx: WebCtx, platform: PlatformDep) -> dict[str, Any]:
    counts = platform.tracking.experiments.run_counts(ctx)
    everything = platform.tracking.experiments.list(ctx, include_deleted=True)
    experiments = [{**e.model_dump(), "runs": counts.get(e.id, 0)} for e in everything
                   if e.lifecycle_stage == "active"]
    trash = [e for e in everything if e.lifecycle_stage == "deleted"]
    return {"title": "Experiments", "experiments": experiments, "trash": trash}


@router.post("/experiments/{ref}/delete")
def delete_experiment(ref: str, ctx: WebCtx, platform: PlatformDep) -> RedirectResponse:
    platform.tracking.experiments.delete(ctx, ref)
    return RedirectResponse("/experiments", status_code=303)


@router.post("/experiments/{ref}/restore")
def restore_experiment(ref: str, ctx: WebCtx, platform: PlatformDep) -> RedirectResponse:
    exp = platform.tracking.experiments.restore(ctx, ref)
    return RedirectResponse(f"/experiments/{exp.id}", status_code=303)


@twin(router, "/experiments/{ref}", "runs.html")
def runs_page(request: Request, ref: str, ctx: WebCtx, platform: PlatformDep,
              filter: str = "", order: str = "", limit: int = 200) -> dict[str, Any]:
    """The runs table; ``filter`` is MLflow syntax, ``order`` e.g. ``metrics.acc DESC``."""
    exp = platform.tracking.experiments.get(ctx, ref)
    error = None
    try:
        page = platform.tracking.search(ctx, [exp.id], filter=filter or None,
                                        order_by=[order] if order else None,
                                        max_results=max(1, min(limit, 1000)))
        runs = page.runs
    except InvalidInput as exc:
        error, runs = exc.message, []
    metric_keys = sorted({k for r in runs for k in r.metrics})[:MAX_COLUMNS]
    param_keys = sorted({k for r in runs for k in r.params})[:MAX_COLUMNS]
    return {"title": f"Experiment {exp.name}", "experiment": exp, "runs": runs,
            "metric_keys": metric_keys, "param_keys": param_keys, "filter": filter,
            "order": order, "error": error}


@twin(router, "/runs/{run_id}", "run.html")
def run_page(request: Request, run_id: str, ctx: WebCtx, platform: PlatformDep) -> dict[str, Any]:
    run = platform.tracking.runs.get(ctx, run_id)
    exp = platform.tracking.experiments.get(ctx, run.experiment_id)
    charts = {key: line_chart({key: _history(platform, ctx, run.id, key)}, y_title=key)
              for key in sorted(run.metrics)}
    files = platform.tracking.artifacts.files(ctx, run.artifact_root)
    return {"title": f"Run {run.name}", "run": run, "experiment": exp, "charts": charts,
            "artifacts": files, "registered": platform.registry.versions_of_run(ctx, run.id)}


@router.get("/runs/{run_id}/files/{path:path}")
def run_file(run_id: str, path: str, ctx: WebCtx, platform: PlatformDep) -> Response:
    root = platform.tracking.runs.get(ctx, run_id).artifact_root
    response = file_response(platform, ctx, join(root, path))
    response.headers.update(attachment(path))
    return response


@twin(router, "/compare", "compare.html")
def compare_page(request: Request, ctx: WebCtx, platform: PlatformDep,
                 ids: Annotated[list[str] | None, Query()] = None) -> dict[str, Any]:
    """Runs side by side: overlaid metric curves and the params that differ."""
    result = platform.tracking.runs.compare(ctx, ids or [])
    names = {r.id: f"{r.name} ({r.id[:6]})" for r in result.runs}
    charts = {key: line_chart({names[r.id]: _history(platform, ctx, r.id, key)
                               for r in result.runs if result.metrics[key][r.id] is not None},
                              y_title=key)
              for key in result.metrics}
    return {"title": "Compare runs", "comparison": result, "charts": charts, "names": names}


def _history(platform: Platform, ctx: Ctx, run_id: str, key: str) -> list[tuple[float, float]]:
    try:
        page = platform.tracking.runs.history(ctx, run_id, key)
    except SluiceError:
        return []
    return [(float(m.step), m.value) for m in page.metrics if math.isfinite(m.value)]
