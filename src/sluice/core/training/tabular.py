"""AutoML for tables, the engine: what task a target column asks for, which columns
LightGBM can use as they are, and a search under a time budget.

The search is Optuna's TPE sampler over LightGBM's main knobs, each trial scored by k-fold
cross-validation (stratified for classes) with early stopping on boosting rounds, and
pruned fold by fold by successive halving when it trails. Its first trial is LightGBM's
own defaults, so the best trial is never worse than them on these folds; the defaults
without early stopping (100 rounds) are scored too, as the baseline a user would get.

Text columns and time-ordered splits come later (issue 15); this module leaves long text
out and says so in ``dropped``.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from sluice.core.training.models import SearchResult, Task, Trial
from sluice.errors import InvalidInput, SluiceError

MIN_ROWS = 20
MAX_BUDGET_SECONDS = 24 * 3600
MAX_CATEGORIES = 1000
CLASS_LIKE_INTEGERS = 20  # an integer target with at most this many values is a class
SYSTEM_COLUMNS = frozenset({"_key", "_hash", "_source"})
ROUNDS = 2000
EARLY_STOP = 50
DEFAULT_ROUNDS = 100  # LightGBM's default number of boosting rounds
METRICS = {Task.BINARY: ("roc_auc", True), Task.MULTICLASS: ("accuracy", True),
           Task.REGRESSION: ("rmse", False)}


def check_budget(seconds: float) -> float:
    if not isinstance(seconds, (int, float)) or not 0 < seconds <= MAX_BUDGET_SECONDS:
        raise InvalidInput(f"the budget must be 1..{MAX_BUDGET_SECONDS} seconds",
                           code="invalid_budget", details={"budget": seconds})
    return float(seconds)


def detect_task(y: pd.Series) -> Task:
    """Classes for text, booleans and integers with few values; else regression."""
    values = y.dropna()
    distinct = values.nunique()
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    integral = numeric and bool(np.all(np.mod(values.to_numpy(dtype=float), 1) == 0))
    if numeric and not (integral and distinct <= CLASS_LIKE_INTEGERS):
        return Task.REGRESSION
    return Task.BINARY if distinct == 2 else Task.MULTICLASS


def check_target(frame: pd.DataFrame, target: str, folds: int) -> tuple[pd.Series, Task]:
    """The target's rows that have a value, and its task.

    Raises:
        InvalidInput: ``target_not_found``, ``target_empty``, ``target_constant``,
            ``dataset_too_small``, ``class_too_small``.
    """
    if target not in frame.columns or target in SYSTEM_COLUMNS:
        raise InvalidInput(f"no column {target!r} to predict; the columns are "
                           f"{', '.join(c for c in frame.columns if c not in SYSTEM_COLUMNS)}",
                           code="target_not_found", details={"target": target})
    y = frame[target].dropna()
    if y.empty:
        raise InvalidInput(f"{target!r} has no values", code="target_empty")
    if y.nunique() < 2:
        raise InvalidInput(f"{target!r} has one value only; there is nothing to learn",
                           code="target_constant")
    if len(y) < MIN_ROWS:
        raise InvalidInput(f"{len(y)} rows have a {target!r}; training needs at least "
                           f"{MIN_ROWS}", code="dataset_too_small", details={"rows": len(y)})
    task = detect_task(y)
    if task is not Task.REGRESSION:
        counts = y.astype(str).value_counts()
        if counts.min() < folds:
            raise InvalidInput(
                f"class {counts.idxmin()!r} has {counts.min()} row(s); each class needs at "
                f"least {folds} (one per fold)", code="class_too_small",
                details={"class": str(counts.idxmin()), "rows": int(counts.min())})
    return y, task


def features(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """The columns LightGBM can use (numbers, booleans, dates, repeated text values as
    categories) and why each other column was left out."""
    kept: dict[str, pd.Series] = {}
    dropped: dict[str, str] = {}
    for name in frame.columns:
        if name in SYSTEM_COLUMNS or name == target:
            continue
        column, why = _usable(frame[name])
        if column is None:
            dropped[name] = why
        else:
            kept[name] = column
    return pd.DataFrame(kept, index=frame.index), dropped


def _usable(column: pd.Series) -> tuple[pd.Series | None, str]:
    values = column.dropna()
    if values.empty:
        return None, "all values missing"
    if pd.api.types.is_bool_dtype(values):
        return column.astype(float), ""
    if pd.api.types.is_numeric_dtype(values):
        return column.astype(float), ""
    if pd.api.types.is_datetime64_any_dtype(values):
        return column.astype("int64").where(column.notna()).astype(float), ""
    if not all(isinstance(v, str) for v in values.head(1000)):
        return None, "nested values (lists or objects)"
    distinct = values.nunique()
    if distinct > MAX_CATEGORIES or distinct > 0.5 * len(values):
        return None, "free text or an identifier (text columns are not embedded yet)"
    return column.astype("category"), ""


def search(frame: pd.DataFrame, target: str, *, budget_seconds: float, folds: int = 3,
           seed: int = 0, max_trials: int | None = None) -> SearchResult:
    """The best LightGBM settings for predicting ``target`` found within the budget."""
    import optuna

    started = time.perf_counter()
    budget = check_budget(budget_seconds)
    y, task = check_target(frame, target, folds)
    x, dropped = features(frame.loc[y.index], target)
    if x.empty:
        raise InvalidInput("no column can be used to predict the target: "
                           + "; ".join(f"{k}: {v}" for k, v in dropped.items()),
                           code="no_features", details={"dropped": dropped})
    data = _Folds(x, y, task, folds, seed)
    metric, higher = METRICS[task]
    default_score = data.score_default()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="maximize" if higher else "minimize",
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.SuccessiveHalvingPruner())
    study.enqueue_trial(dict(DEFAULTS))
    left = max(1.0, budget - (time.perf_counter() - started))
    study.optimize(data.objective, timeout=left, n_trials=max_trials, catch=(Exception,))
    trials = [_trial(t) for t in study.trials]
    done = [t for t in trials if t.state == "complete"]
    if not done:
        first = next((t.note for t in trials if t.note), "no trial finished in the budget")
        raise SluiceError(f"no training trial succeeded: {first}", code="training_failed",
                          details={"trials": len(trials)})
    best = max(done, key=lambda t: _signed(t.score, higher))
    return SearchResult(task=task, target=target, metric=metric, higher_is_better=higher,
                        rows=len(y), features=list(x.columns), dropped=dropped, folds=folds,
                        best=best, default_score=default_score, trials=trials,
                        seconds=time.perf_counter() - started)


def _signed(score: float | None, higher: bool) -> float:
    value = float(score if score is not None else np.nan)
    return value if higher else -value


DEFAULTS = {"num_leaves": 31, "learning_rate": 0.1, "min_child_samples": 20,
            "feature_fraction": 1.0, "bagging_fraction": 1.0,
            "lambda_l2": 1e-8}  # LightGBM's 0.0, at the floor of the log-scaled range


def _space(trial: Any) -> dict[str, Any]:
    return {"num_leaves": trial.suggest_int("num_leaves", 4, 256, log=True),
            "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.3, log=True),
            "min_child_samples": trial.suggest_int("min_child_samples", 2, 100, log=True),
            "feature_fraction": trial.suggest_float("feature_fraction", 0.4, 1.0),
            "bagging_fraction": trial.suggest_float("bagging_fraction", 0.4, 1.0),
            "lambda_l2": trial.suggest_float("lambda_l2", 1e-8, 10.0, log=True)}


def _trial(t: Any) -> Trial:
    state = {"COMPLETE": "complete", "PRUNED": "pruned"}.get(t.state.name, "failed")
    seconds = (t.datetime_complete - t.datetime_start).total_seconds() if (
        t.datetime_complete and t.datetime_start) else 0.0
    return Trial(number=t.number, params=t.params, score=t.value if state == "complete"
                 else None, rounds=int(t.user_attrs.get("rounds", 0)), seconds=seconds,
                 state=state, note=str(t.user_attrs.get("error", "")))


class _Folds:
    """The k folds of one search, and how one set of settings scores on them."""

    def __init__(self, x: pd.DataFrame, y: pd.Series, task: Task, folds: int,
                 seed: int) -> None:
        from sklearn.model_selection import KFold, StratifiedKFold

        self.x, self.task, self.seed = x, task, seed
        self.y: np.ndarray
        if task is Task.REGRESSION:
            self.y = y.astype(float).to_numpy()
            splitter: Any = KFold(folds, shuffle=True, random_state=seed)
        else:
            self.classes = sorted(y.astype(str).unique())
            self.y = np.asarray(pd.Categorical(y.astype(str), categories=self.classes).codes)
            splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
        self.splits = list(splitter.split(x, self.y))

    def base(self) -> dict[str, Any]:
        objective = {Task.BINARY: "binary", Task.MULTICLASS: "multiclass",
                     Task.REGRESSION: "regression"}[self.task]
        extra = {"num_class": len(self.classes)} if self.task is Task.MULTICLASS else {}
        return {"objective": objective, "verbosity": -1, "seed": self.seed,
                "num_threads": 0, "bagging_freq": 1, **extra}

    def objective(self, trial: Any) -> float:
        try:
            return self._objective(trial)
        except Exception as exc:
            if type(exc).__name__ != "TrialPruned":
                trial.set_user_attr("error", f"{type(exc).__name__}: {exc}"[:300])
            raise

    def _objective(self, trial: Any) -> float:
        import optuna

        params = {**self.base(), **_space(trial)}
        scores, rounds = [], []
        for i, (train, valid) in enumerate(self.splits):
            score, used = self.fold(params, train, valid, ROUNDS, early_stop=True)
            scores.append(score)
            rounds.append(used)
            trial.report(float(np.mean(scores)), step=i)
            if trial.should_prune():
                raise optuna.TrialPruned()
        trial.set_user_attr("rounds", int(np.mean(rounds)))
        return float(np.mean(scores))

    def score_default(self) -> float:
        params = {**self.base(), **DEFAULTS, "bagging_freq": 0}
        return float(np.mean([self.fold(params, tr, va, DEFAULT_ROUNDS, early_stop=False)[0]
                              for tr, va in self.splits]))

    def fold(self, params: dict[str, Any], train: np.ndarray, valid: np.ndarray,
             rounds: int, *, early_stop: bool) -> tuple[float, int]:
        import lightgbm as lgb

        fit = lgb.Dataset(self.x.iloc[train], self.y[train])
        check = lgb.Dataset(self.x.iloc[valid], self.y[valid], reference=fit)
        callbacks: list[Any] = [lgb.early_stopping(EARLY_STOP, verbose=False)] if early_stop else []
        booster = lgb.train(params, fit, rounds, valid_sets=[check], callbacks=callbacks)
        used = booster.best_iteration or rounds
        predicted = np.asarray(booster.predict(self.x.iloc[valid], num_iteration=used))
        return self.metric(self.y[valid], predicted), used

    def metric(self, truth: np.ndarray, predicted: np.ndarray) -> float:
        from sklearn.metrics import roc_auc_score

        if self.task is Task.BINARY:
            return float(roc_auc_score(truth, predicted))
        if self.task is Task.MULTICLASS:
            return float(np.mean(np.argmax(predicted, axis=1) == truth))
        return float(np.sqrt(np.mean((truth - predicted) ** 2)))
