"""A do-nothing MLflow tracking server: the ceiling for the mlflow client's per-call speed.

Each MLflow REST route the client calls for ``create_experiment``, ``create_run``,
``log_param``, ``log_metric``, ``log_batch``, ``set_terminated``, ``get_run``,
``get_metric_history`` and ``search_runs`` is answered at once with a minimal valid JSON
answer: nothing is stored (experiment names only, so ``get-by-name`` finds what
``create`` made). It runs on the same stack as ``sluice up`` (FastAPI on uvicorn, one
process, sync routes answered from uvicorn's thread pool, as Sluice's are), so the client's
own cost per call plus the server stack's is all that is left. ``bench/tracking.py``
starts it with ``python -m uvicorn bench.mlflow_null:app``.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from typing import Annotated, Any

from fastapi import Body, FastAPI
from fastapi.responses import Response

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
Payload = Annotated[dict[str, Any], Body(default_factory=dict)]
PREFIX = "/api/2.0/mlflow"
_experiments: dict[str, str] = {"Default": "0"}
_ids = itertools.count(1)


def _json(payload: Any, status: int = 200) -> Response:
    return Response(content=json.dumps(payload, separators=(",", ":")), status_code=status,
                    media_type="application/json")


def _experiment(experiment_id: str, name: str) -> dict[str, Any]:
    return {"experiment_id": experiment_id, "name": name, "lifecycle_stage": "active",
            "artifact_location": f"mlflow-artifacts:/{experiment_id}"}


def _run_info(run_id: str, experiment_id: str, status: str = "RUNNING",
              end_time: int | None = None) -> dict[str, Any]:
    info: dict[str, Any] = {
        "run_id": run_id, "run_uuid": run_id, "run_name": "null", "experiment_id": experiment_id,
        "user_id": "bench", "status": status, "start_time": int(time.time() * 1000),
        "artifact_uri": f"mlflow-artifacts:/{experiment_id}/{run_id}/artifacts",
        "lifecycle_stage": "active"}
    if end_time is not None:
        info["end_time"] = end_time
    return info


@app.get("/health")
@app.get("/healthz")
def health() -> Response:
    return Response(content=b"OK", media_type="text/plain")


@app.post(PREFIX + "/experiments/create")
def create_experiment(body: Payload) -> Response:
    name = str(body.get("name") or "")
    experiment_id = _experiments.setdefault(name, str(next(_ids)))
    return _json({"experiment_id": experiment_id})


@app.get(PREFIX + "/experiments/get-by-name")
def get_experiment_by_name(experiment_name: str) -> Response:
    experiment_id = _experiments.get(experiment_name)
    if experiment_id is None:
        return _json({"error_code": "RESOURCE_DOES_NOT_EXIST",
                      "message": f"Could not find experiment with name '{experiment_name}'"},
                     404)
    return _json({"experiment": _experiment(experiment_id, experiment_name)})


@app.get(PREFIX + "/experiments/get")
def get_experiment(experiment_id: str) -> Response:
    names = {v: k for k, v in _experiments.items()}
    return _json({"experiment": _experiment(experiment_id, names.get(experiment_id, "null"))})


@app.post(PREFIX + "/runs/create")
def create_run(body: Payload) -> Response:
    info = _run_info(uuid.uuid4().hex, str(body.get("experiment_id") or "0"))
    return _json({"run": {"info": info, "data": {"tags": body.get("tags") or []}}})


@app.get(PREFIX + "/runs/get")
def get_run(run_id: str | None = None, run_uuid: str | None = None) -> Response:
    return _json({"run": {"info": _run_info(str(run_id or run_uuid), "0"), "data": {}}})


@app.post(PREFIX + "/runs/update")
def update_run(body: Payload) -> Response:
    run_id = str(body.get("run_id") or body.get("run_uuid"))
    return _json({"run_info": _run_info(run_id, "0", str(body.get("status") or "RUNNING"),
                                        body.get("end_time"))})


@app.post(PREFIX + "/runs/log-parameter")
@app.post(PREFIX + "/runs/log-metric")
@app.post(PREFIX + "/runs/log-batch")
@app.post(PREFIX + "/runs/set-tag")
def log_anything() -> Response:
    return Response(content=b"{}", media_type="application/json")


@app.get(PREFIX + "/metrics/get-history")
def get_history() -> Response:
    return _json({"metrics": []})


@app.post(PREFIX + "/runs/search")
def search_runs() -> Response:
    return _json({"runs": []})
