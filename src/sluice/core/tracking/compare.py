"""Side-by-side runs: which params differ, each run's latest metrics."""

from __future__ import annotations

from pydantic import BaseModel, Field

from sluice.core.tracking.models import Run

MAX_COMPARE = 20


class RunComparison(BaseModel):
    runs: list[Run]
    params: dict[str, dict[str, str | None]] = Field(
        default_factory=dict, description="param -> run id -> value (None when unset)")
    differing_params: list[str] = Field(default_factory=list)
    metrics: dict[str, dict[str, float | None]] = Field(default_factory=dict)


def compare(runs: list[Run]) -> RunComparison:
    keys = sorted({k for r in runs for k in r.params})
    params = {k: {r.id: r.params.get(k) for r in runs} for k in keys}
    differing = [k for k, by_run in params.items() if len(set(by_run.values())) > 1]
    metric_keys = sorted({k for r in runs for k in r.metrics})
    metrics = {k: {r.id: (r.metrics[k].value if k in r.metrics else None) for r in runs}
               for k in metric_keys}
    return RunComparison(runs=runs, params=params, differing_params=differing, metrics=metrics)
