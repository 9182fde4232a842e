"""MLflow experiments, runs, metrics and logged models over Sluice's tracking service."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body

from sluice.api.compat.mlflow import shapes
from sluice.api.compat.mlflow.fastjson import FastJsonRouter
from sluice.api.deps import CtxDep, PlatformDep
from sluice.api.policy import policy
from sluice.core.tracking import Metric, RunInput
from sluice.errors import InvalidInput, NotFound

router = FastJsonRouter(prefix="/api/2.0/mlflow", tags=["mlflow"])
Payload = Annotated[dict[str, Any], Body(default_factory=dict)]
OK: dict[str, Any] = {}


def need(body: dict[str, Any], key: str) -> Any:
    value = body.get(key)
    if value is None or value == "":
        raise InvalidInput(f"missing value for required parameter '{key}'",
                           code="missing_parameter", details={"parameter": key})
    return value


def run_id_of(body: dict[str, Any]) -> str:
    return str(body.get("run_id") or need(body, "run_uuid"))


# experiments
@router.get("/experiments/get-by-name")
def get_experiment_by_name(experiment_name: str, ctx: CtxDep,
                           platform: PlatformDep) -> dict[str, Any]:
    found = platform.tracking.experiments.by_name(ctx, experiment_name)
    if found is None:
        raise NotFound(f"Could not find experiment with name '{experiment_name}'",
                       code="experiment_not_found")
    return {"experiment": shapes.experiment(found)}


@router.post("/experiments/create")
def create_experiment(body: Payload, ctx: CtxDep, platform: PlatformDep) -> dict[str, Any]:
    exp = platform.tracking.experiments.create(ctx, need(body, "name"),
                                               tags=shapes.unpair(body.get("tags")))
    return {"experiment_id": exp.id}


@router.get("/experiments/get")
def get_experiment(experiment_id: str, ctx: CtxDep, platform: PlatformDep) -> dict[str, Any]:
    return {"experiment": shapes.experiment(platform.tracking.experiments.get(ctx,
                                                                              experiment_id))}


@router.post("/experiments/search", openapi_extra=policy(permission="runs.read"))
def search_experiments(body: Payload, ctx: CtxDep, platform: PlatformDep) -> dict[str, Any]:
    view = str(body.get("view_type", "ACTIVE_ONLY")).upper()
    exps = platform.tracking.experiments.list(ctx, include_deleted=view != "ACTIVE_ONLY")
    if view == "DELETED_ONLY":
        exps = [e for e in exps if e.lifecycle_stage == "deleted"]
    limit = int(body.get("max_results") or 1000)
    return {"experiments": [shapes.experiment(e) for e in exps[:limit]]}


@router.post("/experiments/delete")
def delete_experiment(body: Payload, ctx: CtxDep, platform: PlatformDep) -> dict[str, Any]:
    platform.tracking.experiments.delete(ctx, need(body, "experiment_id"))
    return OK


@router.post("/experiments/restore")
def restore_experiment(body: Payload, ctx: CtxDep, platform: PlatformDep) -> dict[str, Any]:
    platform.tracking.experiments.restore(ctx, need(body, "experiment_id"))
    return OK


@router.post("/experiments/update")
def update_experiment(body: Payload, ctx: CtxDep, platform: PlatformDep) -> dict[str, Any]:
    platform.tracking.experiments.update(ctx, need(body, "experiment_id"),
                                         name=body.get("new_name"))
    return OK


@router.post("/experiments/set-experiment-tag")
def set_experiment_tag(body: Payload, ctx: CtxDep, platform: PlatformDep) -> dict[str, Any]:
    platform.tracking.experiments.update(ctx, need(body, "experiment_id"),
                                         tags={need(body, "key"): str(body.get("value", ""))})
    return OK


# runs
@router.post("/runs/create")
def create_run(body: Payload, ctx: CtxDep, platform: PlatformDep) -> dict[str, Any]:
    run = platform.tracking.runs.create(
        ctx, str(body.get("experiment_id") or "0"), name=body.get("run_name"),
        tags=shapes.unpair(body.get("tags")), start_ms=body.get("start_time"))
    return {"run": shapes.run(run)}


@router.get("/runs/get")
def get_run(ctx: CtxDep, platform: PlatformDep, run_id: str | None = None,
            run_uuid: str | None = None) -> dict[str, Any]:
    return {"run": shapes.run(platform.tracking.runs.get(ctx, run_id_of(
        {"run_id": run_id, "run_uuid": run_uuid})))}


@router.post("/runs/update")
def update_run(body: Payload, ctx: CtxDep, platform: PlatformDep) -> dict[str, Any]:
    run = platform.tracking.runs.update(ctx, run_id_of(body), status=body.get("status"),
                                        end_ms=body.get("end_time"), name=body.get("run_name"),
                                        values=False)
    return {"run_info": shapes.run_info(run)}


@router.post("/runs/delete")
def delete_run(body: Payload, ctx: CtxDep, platform: PlatformDep) -> dict[str, Any]:
    platform.tracking.runs.set_stage(ctx, run_id_of(body), "deleted")
    return OK


@router.post("/runs/restore")
def restore_run(body: Payload, ctx: CtxDep, platform: PlatformDep) -> dict[str, Any]:
    platform.tracking.runs.set_stage(ctx, run_id_of(body), "active")
    return OK


@router.post("/runs/search", openapi_extra=policy(permission="runs.read"))
def search_runs(body: Payload, ctx: CtxDep, platform: PlatformDep) -> dict[str, Any]:
    page = platform.tracking.search(
        ctx, [str(e) for e in body.get("experiment_ids") or []] or ["0"],
        filter=body.get("filter"), order_by=body.get("order_by"),
        max_results=int(body.get("max_results") or 1000), page_token=body.get("page_token"),
        view=str(body.get("run_view_type") or "ACTIVE_ONLY"))
    out: dict[str, Any] = {"runs": [shapes.run(r) for r in page.runs]}
    if page.next_page_token:
        out["next_page_token"] = page.next_page_token
    return out


@router.post("/runs/log-parameter")
def log_param(body: Payload, ctx: CtxDep, platform: PlatformDep) -> dict[str, Any]:
    platform.tracking.runs.log_batch(ctx, run_id_of(body),
                                     params={need(body, "key"): str(body.get("value", ""))})
    return OK


@router.post("/runs/log-metric")
def log_metric(body: Payload, ctx: CtxDep, platform: PlatformDep) -> dict[str, Any]:
    platform.tracking.runs.log_batch(ctx, run_id_of(body), metrics=[_metric(body)])
    return OK


@router.post("/runs/set-tag")
def set_tag(body: Payload, ctx: CtxDep, platform: PlatformDep) -> dict[str, Any]:
    platform.tracking.runs.log_batch(ctx, run_id_of(body),
                                     tags={need(body, "key"): str(body.get("value", ""))})
    return OK


@router.post("/runs/delete-tag")
def delete_tag(body: Payload, ctx: CtxDep, platform: PlatformDep) -> dict[str, Any]:
    platform.tracking.runs.delete_tag(ctx, run_id_of(body), need(body, "key"))
    return OK


@router.post("/runs/log-batch")
def log_batch(body: Payload, ctx: CtxDep, platform: PlatformDep) -> dict[str, Any]:
    platform.tracking.runs.log_batch(
        ctx, run_id_of(body), metrics=[_metric(m) for m in body.get("metrics") or []],
        params=shapes.unpair(body.get("params")), tags=shapes.unpair(body.get("tags")))
    return OK


@router.post("/runs/log-model")
def log_model_history(body: Payload, ctx: CtxDep, platform: PlatformDep) -> dict[str, Any]:
    """Accepted for older clients; MLflow 3 logs models through logged-models."""
    platform.tracking.runs.get(ctx, run_id_of(body))
    return OK


@router.post("/runs/log-inputs")
def log_inputs(body: Payload, ctx: CtxDep, platform: PlatformDep) -> dict[str, Any]:
    inputs = []
    for item in body.get("datasets") or []:
        ds = item.get("dataset") or {}
        tags = shapes.unpair(item.get("tags"))
        inputs.append(RunInput(
            name=str(ds.get("name", "")), digest=str(ds.get("digest", "")),
            source_type=str(ds.get("source_type", "")), source=str(ds.get("source", "")),
            context=tags.get("mlflow.data.context", ""),
            details={k: ds[k] for k in ("schema", "profile") if k in ds}))
    run_id = run_id_of(body)
    platform.tracking.runs.log_inputs(ctx, run_id, inputs)
    return OK


@router.post("/runs/outputs")
def log_outputs(body: Payload, ctx: CtxDep, platform: PlatformDep) -> dict[str, Any]:
    models = [(str(m["model_id"]), int(m.get("step") or 0)) for m in body.get("models") or []]
    platform.tracking.runs.log_outputs(ctx, run_id_of(body), models)
    return OK


@router.get("/metrics/get-history")
def metric_history(metric_key: str, ctx: CtxDep, platform: PlatformDep,
                   run_id: str | None = None, run_uuid: str | None = None,
                   max_results: int = 25_000,
                   page_token: str | None = None) -> dict[str, Any]:
    rows, token = platform.tracking.runs.history_rows(
        ctx, run_id_of({"run_id": run_id, "run_uuid": run_uuid}), metric_key,
        max_results=max_results, page_token=page_token)
    metrics = [{"key": metric_key, "value": shapes.number(v), "timestamp": t, "step": st,
                **({"model_id": m} if m else {})} for v, st, t, m in rows]
    out: dict[str, Any] = {"metrics": metrics}
    if token:
        out["next_page_token"] = token
    return out


def _metric(body: dict[str, Any]) -> Metric:
    value = body.get("value")
    if isinstance(value, str) and value.lower() in ("nan", "inf", "-inf", "infinity",
                                                    "-infinity"):
        value = float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInput(f"metric {body.get('key')!r} needs a number, got {value!r}",
                           code="invalid_metric")
    return Metric(key=need(body, "key"), value=float(value), step=int(body.get("step") or 0),
                  timestamp=int(body.get("timestamp") or 0), model_id=body.get("model_id"))


# logged models
@router.post("/logged-models")
def create_logged_model(body: Payload, ctx: CtxDep, platform: PlatformDep) -> dict[str, Any]:
    model = platform.tracking.models.create(
        ctx, need(body, "experiment_id"), str(body.get("name") or "model"),
        source_run_id=body.get("source_run_id"), model_type=body.get("model_type"),
        params=shapes.unpair(body.get("params")), tags=shapes.unpair(body.get("tags")))
    return {"model": shapes.logged_model(model)}


@router.get("/logged-models/{model_id}")
def get_logged_model(model_id: str, ctx: CtxDep, platform: PlatformDep) -> dict[str, Any]:
    return {"model": shapes.logged_model(platform.tracking.models.get(ctx, model_id))}


@router.patch("/logged-models/{model_id}")
def finalize_logged_model(model_id: str, body: Payload, ctx: CtxDep,
                          platform: PlatformDep) -> dict[str, Any]:
    model = platform.tracking.models.finalize(ctx, model_id, str(need(body, "status")),
                                              body.get("status_message"))
    return {"model": shapes.logged_model(model)}


@router.patch("/logged-models/{model_id}/tags")
def set_logged_model_tags(model_id: str, body: Payload, ctx: CtxDep,
                          platform: PlatformDep) -> dict[str, Any]:
    platform.tracking.models.set_tags(ctx, model_id, shapes.unpair(body.get("tags")))
    return OK


@router.post("/logged-models/search", openapi_extra=policy(permission="runs.read"))
def search_logged_models(body: Payload, ctx: CtxDep, platform: PlatformDep) -> dict[str, Any]:
    models = platform.tracking.models.search(
        ctx, [str(e) for e in body.get("experiment_ids") or []] or ["0"],
        filter=body.get("filter"), max_results=int(body.get("max_results") or 100))
    return {"models": [shapes.logged_model(m) for m in models]}
