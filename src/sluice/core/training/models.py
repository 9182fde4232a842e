"""What a training search reports: every trial and the best one."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel


class Task(StrEnum):
    BINARY = "binary"
    MULTICLASS = "multiclass"
    REGRESSION = "regression"


class Trial(BaseModel):
    number: int
    params: dict[str, Any]
    score: float | None  # the cross-validated metric; None when pruned or failed
    rounds: int  # boosting rounds chosen by early stopping
    seconds: float
    state: str  # complete | pruned | failed
    note: str = ""


class SearchResult(BaseModel):
    task: Task
    target: str
    metric: str  # roc_auc | accuracy | rmse
    higher_is_better: bool
    rows: int
    features: list[str]
    dropped: dict[str, str]  # column -> why it was left out
    folds: int
    best: Trial
    default_score: float  # LightGBM with its default parameters, same folds
    trials: list[Trial]
    seconds: float
