"""The MLflow tracking, registry and artifact-proxy REST surface (``/api/2.0/mlflow``),
so the unmodified ``mlflow`` client works against Sluice with ``MLFLOW_TRACKING_URI`` and
``MLFLOW_TRACKING_TOKEN``. Errors come back in MLflow's shape (``error_code``)."""

from fastapi import APIRouter

from sluice.api.compat.mlflow import artifacts, registry, tracking

PARTS = (tracking, registry, artifacts)
router = APIRouter()
for _module in PARTS:
    router.include_router(_module.router)
