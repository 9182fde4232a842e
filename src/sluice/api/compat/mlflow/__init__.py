"""The MLflow tracking, registry and artifact-proxy REST surface (``/api/2.0/mlflow``),
so the unmodified ``mlflow`` client works against Sluice with ``MLFLOW_TRACKING_URI`` and
``MLFLOW_TRACKING_TOKEN``. Errors come back in MLflow's shape (``error_code``).

Each module has its own ``router``; the tracking and registry areas include them
(``sluice/areas/builtin.py``)."""
