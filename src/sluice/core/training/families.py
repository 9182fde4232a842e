"""The model families a search tries, each as: its search space, how it fits on rows, how
it predicts, and how it is written to and read from safe files (LightGBM's text format; a
linear model's numbers as JSON). No pickle anywhere.

LightGBM fits every table; the linear family (logistic or ridge regression on standardized
features, categories one-hot) is added when a text column is embedded, where it is often
the better and always the faster model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sluice.core.training.models import Task

ROUNDS = 2000
EARLY_STOP = 50
DEFAULT_ROUNDS = 100  # LightGBM's default number of boosting rounds
LGB_DEFAULTS = {"num_leaves": 31, "learning_rate": 0.1, "min_child_samples": 20,
                "feature_fraction": 1.0, "bagging_fraction": 1.0,
                "lambda_l2": 1e-8}  # LightGBM's 0.0, at the floor of the log-scaled range


class Stopped(Exception):
    """Raised inside a fit when the job is cancelled or the budget is spent."""


@dataclass
class Fitted:
    family: str
    model: Any  # a LightGBM Booster, or a Linear
    rounds: int = 0
    curve: list[float] = field(default_factory=list)  # validation loss per round
    curve_name: str = ""


def lgb_space(trial: Any) -> dict[str, Any]:
    return {"num_leaves": trial.suggest_int("num_leaves", 4, 256, log=True),
            "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.3, log=True),
            "min_child_samples": trial.suggest_int("min_child_samples", 2, 100, log=True),
            "feature_fraction": trial.suggest_float("feature_fraction", 0.4, 1.0),
            "bagging_fraction": trial.suggest_float("bagging_fraction", 0.4, 1.0),
            "lambda_l2": trial.suggest_float("lambda_l2", 1e-8, 10.0, log=True)}


def linear_space(trial: Any) -> dict[str, Any]:
    return {"C": trial.suggest_float("C", 1e-3, 100.0, log=True)}


def threads(asked: int = 0) -> int:
    """``asked``, or half the cores when 0."""
    import os

    return asked or max(1, (os.cpu_count() or 2) // 2)


def lgb_base(task: Task, classes: int, seed: int, n_threads: int = 0) -> dict[str, Any]:
    objective = {Task.BINARY: "binary", Task.MULTICLASS: "multiclass",
                 Task.REGRESSION: "regression"}[task]
    extra = {"num_class": classes} if task is Task.MULTICLASS else {}
    return {"objective": objective, "verbosity": -1, "seed": seed,
            "num_threads": threads(n_threads),
            "bagging_freq": 1, **extra}


@dataclass
class Rows:
    """The rows one fit sees."""

    x: np.ndarray
    y: np.ndarray
    weight: np.ndarray | None
    categorical: list[int]


def fit_lgb(params: dict[str, Any], train: Rows, valid: Rows | None, rounds: int,
            stop: Callable[[], bool]) -> Fitted:
    """LightGBM with early stopping on ``valid`` when given; ``stop`` is asked every 10
    rounds and ends the fit by raising :class:`Stopped`."""
    import lightgbm as lgb

    def guard(env: Any) -> None:
        if env.iteration % 10 == 0 and stop():
            raise Stopped()

    fit = lgb.Dataset(train.x, train.y, weight=train.weight,
                      categorical_feature=train.categorical or "auto", free_raw_data=False)
    callbacks: list[Any] = [guard]
    record: dict[str, Any] = {}
    sets = []
    if valid is not None:
        sets = [lgb.Dataset(valid.x, valid.y, weight=valid.weight, reference=fit)]
        callbacks += [lgb.early_stopping(EARLY_STOP, verbose=False),
                      lgb.record_evaluation(record)]
    booster = lgb.train(params, fit, rounds, valid_sets=sets, callbacks=callbacks)
    used = booster.best_iteration or rounds
    name, curve = next(iter(record.get("valid_0", {}).items()), ("", []))
    return Fitted("lightgbm", booster, used, [float(v) for v in curve], name)


def predict_lgb(fitted: Fitted, x: np.ndarray) -> np.ndarray:
    return np.asarray(fitted.model.predict(x, num_iteration=fitted.rounds or None))


@dataclass
class Linear:
    """Logistic (classes) or ridge (numbers) regression on standardized features; missing
    numbers take the training mean, categories are one-hot."""

    task: str
    means: list[float]
    scales: list[float]
    onehot: dict[int, int]  # feature position -> number of categories
    coef: list[list[float]]  # (outputs, design columns)
    intercept: list[float]

    def design(self, x: np.ndarray) -> np.ndarray:
        means, scales = np.asarray(self.means), np.asarray(self.scales)
        dense = np.where(np.isnan(x), means, x)
        numeric = [i for i in range(x.shape[1]) if i not in self.onehot]
        parts = [(dense[:, numeric] - means[numeric]) / scales[numeric]]
        for pos, count in sorted(self.onehot.items()):
            codes = x[:, pos]
            parts.append(np.stack([(codes == k) for k in range(count)], axis=1).astype(float))
        return np.column_stack(parts)

    def predict(self, x: np.ndarray) -> np.ndarray:
        raw = self.design(x) @ np.asarray(self.coef).T + np.asarray(self.intercept)
        if self.task == Task.REGRESSION:
            return np.asarray(raw[:, 0])
        if self.task == Task.BINARY:
            return np.asarray(1.0 / (1.0 + np.exp(-raw[:, 0])))
        raw = raw - raw.max(axis=1, keepdims=True)
        exp = np.exp(raw)
        return np.asarray(exp / exp.sum(axis=1, keepdims=True))

    def to_dict(self) -> dict[str, Any]:
        return {"task": str(self.task), "means": self.means, "scales": self.scales,
                "onehot": {str(k): v for k, v in self.onehot.items()}, "coef": self.coef,
                "intercept": self.intercept}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Linear:
        return cls(task=data["task"], means=data["means"], scales=data["scales"],
                   onehot={int(k): int(v) for k, v in data["onehot"].items()},
                   coef=data["coef"], intercept=data["intercept"])


def fit_linear(params: dict[str, Any], task: Task, train: Rows, classes: int) -> Fitted:
    from sklearn.linear_model import LogisticRegression, Ridge

    x = train.x
    means = np.nan_to_num(np.nanmean(np.where(np.isnan(x), np.nan, x), axis=0))
    scales = np.nan_to_num(np.nanstd(x, axis=0))
    scales = np.where(scales > 1e-12, scales, 1.0)
    onehot = {pos: int(np.nanmax(x[:, pos], initial=0)) + 1 for pos in train.categorical}
    shell = Linear(str(task), means.tolist(), scales.tolist(), onehot, [], [])
    design = shell.design(x)
    if task is Task.REGRESSION:
        model: Any = Ridge(alpha=1.0 / params["C"]).fit(design, train.y, train.weight)
        shell.coef, shell.intercept = [model.coef_.tolist()], [float(model.intercept_)]
    else:
        model = LogisticRegression(C=params["C"], max_iter=500).fit(design, train.y,
                                                                     train.weight)
        shell.coef, shell.intercept = model.coef_.tolist(), model.intercept_.tolist()
        if task is Task.MULTICLASS and len(model.classes_) < classes:
            shell = _all_classes(shell, [int(c) for c in model.classes_], classes)
    return Fitted("linear", shell)


def _all_classes(model: Linear, seen: list[int], classes: int) -> Linear:
    """Rows for classes a fold did not see, so outputs line up with every class."""
    width = len(model.coef[0])
    if len(seen) == 2:  # one row, for the second class: softmax([0, z]) is sigmoid(z)
        model.coef = [[0.0] * width, model.coef[0]]
        model.intercept = [0.0, model.intercept[0]]
    coef = [[0.0] * width for _ in range(classes)]
    intercept = [-1e3] * classes
    for row, cls in enumerate(seen):
        coef[cls], intercept[cls] = model.coef[row], model.intercept[row]
    model.coef, model.intercept = coef, intercept
    return model


def predict_any(fitted: Fitted, x: np.ndarray) -> np.ndarray:
    """Probabilities of class 1 (binary), per class (multiclass), or values."""
    return predict_lgb(fitted, x) if fitted.family == "lightgbm" else fitted.model.predict(x)
