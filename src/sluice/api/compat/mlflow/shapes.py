"""Sluice objects in the JSON shapes of MLflow's protobuf messages."""

from __future__ import annotations

import math
from typing import Any

from sluice.core.registry import ModelVersion, RegisteredModel
from sluice.core.tracking import Experiment, LoggedModel, Metric, Run

KeyValues = list[dict[str, Any]]


def pairs(values: dict[str, str]) -> KeyValues:
    return [{"key": k, "value": v} for k, v in values.items()]


def unpair(items: list[dict[str, Any]] | None) -> dict[str, str]:
    return {str(i["key"]): str(i.get("value", "")) for i in items or [] if "key" in i}


def experiment(e: Experiment) -> dict[str, Any]:
    return {"experiment_id": e.id, "name": e.name, "artifact_location": e.artifact_uri,
            "lifecycle_stage": e.lifecycle_stage, "last_update_time": e.updated_ms,
            "creation_time": e.created_ms, "tags": pairs(e.tags)}


def number(value: float) -> float | str:
    """A double as protobuf JSON writes it: NaN and infinities as quoted strings."""
    if math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def metric(m: Metric) -> dict[str, Any]:
    out: dict[str, Any] = {"key": m.key, "value": number(m.value), "timestamp": m.timestamp,
                           "step": m.step}
    if m.model_id:
        out["model_id"] = m.model_id
    return out


def run_info(r: Run) -> dict[str, Any]:
    info: dict[str, Any] = {
        "run_id": r.id, "run_uuid": r.id, "run_name": r.name,
        "experiment_id": r.experiment_id, "user_id": r.user, "status": r.status.value,
        "start_time": r.start_ms, "artifact_uri": r.artifact_uri,
        "lifecycle_stage": r.lifecycle_stage}
    if r.end_ms is not None:
        info["end_time"] = r.end_ms
    return info


def run(r: Run) -> dict[str, Any]:
    datasets = [{"tags": [{"key": "mlflow.data.context", "value": i.context}]
                 if i.context else [],
                 "dataset": {"name": i.name, "digest": i.digest, "source_type": i.source_type,
                             "source": i.source, **{k: v for k, v in i.details.items()
                                                    if k in ("schema", "profile")}}}
                for i in r.inputs]
    return {"info": run_info(r),
            "data": {"metrics": [metric(m) for m in r.metrics.values()],
                     "params": pairs(r.params), "tags": pairs(r.tags)},
            "inputs": {"dataset_inputs": datasets},
            "outputs": {"model_outputs": [{"model_id": m, "step": 0} for m in r.outputs]}}


def logged_model(m: LoggedModel) -> dict[str, Any]:
    info: dict[str, Any] = {
        "model_id": m.id, "experiment_id": m.experiment_id, "name": m.name,
        "artifact_uri": f"mlflow-artifacts:/{m.artifact_root}",
        "creation_timestamp_ms": m.created_ms, "last_updated_timestamp_ms": m.updated_ms,
        "status": m.status, "tags": pairs(m.tags)}
    for key in ("model_type", "source_run_id", "status_message"):
        value = getattr(m, key)
        if value:
            info[key] = value
    return {"info": info, "data": {"params": pairs(m.params),
                                   "metrics": [metric(x) for x in m.metrics]}}


def model_version(v: ModelVersion) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": v.name, "version": str(v.version), "creation_timestamp": v.created_ms,
        "last_updated_timestamp": v.updated_ms, "user_id": v.created_by,
        "current_stage": "None", "description": v.description, "source": v.source,
        "status": v.status, "tags": pairs(v.tags), "aliases": v.aliases}
    if v.run_id:
        out["run_id"] = v.run_id
    if v.logged_model_id:
        out["model_id"] = v.logged_model_id
    return out


def registered_model(m: RegisteredModel, latest: ModelVersion | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": m.name, "creation_timestamp": m.created_ms,
        "last_updated_timestamp": m.updated_ms, "user_id": m.created_by,
        "description": m.description, "tags": pairs(m.tags),
        "aliases": [{"alias": a, "version": str(v)} for a, v in sorted(m.aliases.items())]}
    if latest is not None:
        out["latest_versions"] = [model_version(latest)]
    return out
