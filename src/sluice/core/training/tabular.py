"""AutoML for tables, the engine: what task a target column asks for, the rows and features
a search reads (:func:`prepare`), and a search under a time budget (:func:`search`).

The search is Optuna's TPE sampler over the families' knobs, each trial scored by k-fold
cross-validation (stratified for classes, or time-ordered when a time column is named) with
early stopping on boosting rounds, and pruned fold by fold by successive halving when it
trails. Its first trial is LightGBM's own defaults, so the best trial is never worse than
them on these folds; the defaults without early stopping (100 rounds) are scored too, as
the baseline a user would get.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sluice.core.training.featurize import SYSTEM_COLUMNS, Embed, Recipe, fit_recipe, transform
from sluice.core.training.models import SearchResult, Task, Trial
from sluice.errors import InvalidInput, SluiceError

if TYPE_CHECKING:
    from sluice.core.training.folds import Scorer
    from sluice.core.training.pools import TrialPool

MIN_ROWS = 20
MAX_BUDGET_SECONDS = 24 * 3600
CLASS_LIKE_INTEGERS = 20  # an integer target with at most this many values is a class
MINORITY_SHARE = 0.2  # below this share of rows, class balancing joins the search
CV_FOLDS = 3
HOLDOUT_SHARE = 0.2
CV_MAX_ROWS = 100_000  # above this, one holdout whatever the budget
CV_CELLS_PER_HOUR = 10_000_000  # feature cells cross-validation may cost per budget hour
METRICS = {Task.BINARY: ("roc_auc", True), Task.MULTICLASS: ("accuracy", True),
           Task.REGRESSION: ("rmse", False)}
OnTrial = Callable[[Trial, list[float], str], None]


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


def check_target(frame: pd.DataFrame, target: str, folds: int,
                 task: Task | None = None) -> tuple[pd.Series, Task]:
    """The target's rows that have a value, and its task.

    Raises:
        InvalidInput: ``target_not_found``, ``target_empty``, ``target_constant``,
            ``dataset_too_small``, ``class_too_small``, ``invalid_task``.
    """
    if target not in frame.columns or target in SYSTEM_COLUMNS:
        raise InvalidInput(f"no column {target!r} to predict; the columns are "
                           f"{', '.join(c for c in frame.columns if c not in SYSTEM_COLUMNS)}",
                           code="target_not_found", details={"target": target})
    y = frame[target].dropna()
    if y.dtype == object:
        y = y[y.astype(str).str.strip() != ""]
    if y.empty:
        raise InvalidInput(f"{target!r} has no values", code="target_empty")
    if y.nunique() < 2:
        raise InvalidInput(f"{target!r} has one value only; there is nothing to learn",
                           code="target_constant")
    if len(y) < MIN_ROWS:
        raise InvalidInput(f"{len(y)} rows have a {target!r}; training needs at least "
                           f"{MIN_ROWS}", code="dataset_too_small", details={"rows": len(y)})
    task = _task(y, task)
    if task is not Task.REGRESSION:
        counts = y.astype(str).value_counts()
        if counts.min() < folds:
            raise InvalidInput(
                f"class {counts.idxmin()!r} has {counts.min()} row(s); each class needs at "
                f"least {folds} (one per fold)", code="class_too_small",
                details={"class": str(counts.idxmin()), "rows": int(counts.min())})
    return y, task


def _task(y: pd.Series, asked: Task | None) -> Task:
    detected = detect_task(y)
    if asked is None:
        return detected
    if asked is Task.REGRESSION and not pd.api.types.is_numeric_dtype(y):
        raise InvalidInput("regression needs a numeric target", code="invalid_task")
    if asked is Task.BINARY and y.nunique() != 2:
        raise InvalidInput(f"binary classification needs 2 classes; the target has "
                           f"{y.nunique()}", code="invalid_task")
    return asked


@dataclass
class Problem:
    """What a search reads: features, target (class codes or numbers), weights, folds."""

    x: np.ndarray
    y: np.ndarray
    task: Task
    classes: list[str]  # class names as text, in code order
    class_values: list[Any]  # the same classes as the target holds them (numbers stay numbers)
    recipe: Recipe
    dropped: dict[str, str]
    weight: np.ndarray | None
    splits: list[tuple[np.ndarray, np.ndarray]]
    split: str  # how the folds were made, in words


def prepare(frame: pd.DataFrame, target: str, *, folds: int | None = None,
            task: Task | None = None, columns: Sequence[str] | None = None,
            time_column: str | None = None, weight_column: str | None = None,
            embed: Embed | None = None, seed: int = 0,
            budget: float | None = None) -> Problem:
    """The rows that have a target, their features and their folds: ``folds`` of
    cross-validation, one holdout (1), or (None) as :func:`auto_folds` decides for the
    search's ``budget``.

    Raises:
        InvalidInput: the codes of :func:`check_target` and :func:`fit_recipe`, and
            ``no_features``, ``time_column_not_found``, ``invalid_weight``.
    """
    y, task = check_target(frame, target, max(2, folds or CV_FOLDS), task)
    rows = frame.loc[y.index]
    leaks = [c for c in label_siblings(target) if c in rows.columns and not columns
             and c not in (time_column, weight_column)]
    recipe, dropped = fit_recipe(rows.drop(columns=leaks), target, columns=columns,
                                 exclude=[c for c in (time_column, weight_column) if c])
    dropped.update({c: "labels of the same schema as the target (they would give the "
                       "answer away)" for c in leaks})
    if not recipe.columns:
        raise InvalidInput("no column can be used to predict the target: "
                           + "; ".join(f"{k}: {v}" for k, v in dropped.items()),
                           code="no_features", details={"dropped": dropped})
    x = transform(recipe, rows, embed)
    classes: list[str] = []
    values: list[Any] = []
    if task is Task.REGRESSION:
        codes = y.astype(float).to_numpy()
    else:
        classes = sorted(y.astype(str).unique())
        codes = np.asarray(pd.Categorical(y.astype(str), categories=classes).codes)
        first = dict(zip(y.astype(str), y.tolist(), strict=True))
        values = [_plain(first[c]) for c in classes]
    chosen = folds or auto_folds(len(codes), x.shape[1], budget)
    splits, split = _splits(rows, codes, task, chosen, time_column, seed)
    if folds is None and chosen == 1:
        split += (" (the data is large for the budget, so each trial is scored once and "
                  "more settings are tried; ask for folds to cross-validate)")
    return Problem(x, codes, task, classes, values, recipe, dropped,
                   _weights(rows, weight_column), splits, split)


def _plain(value: Any) -> Any:
    """A class value as JSON holds it (numpy numbers become Python numbers)."""
    return value.item() if isinstance(value, np.generic) else value


def label_siblings(target: str) -> list[str]:
    """For a label column (``label_X``, ``weak_X``), the other columns of schema X."""
    for prefix in ("label_", "weak_"):
        if target.startswith(prefix) and not target.endswith("_confidence"):
            schema = target.removeprefix(prefix)
            return [c for c in (f"label_{schema}", f"weak_{schema}",
                                f"weak_{schema}_confidence") if c != target]
    return []


def _weights(rows: pd.DataFrame, column: str | None) -> np.ndarray | None:
    if not column:
        return None
    if column not in rows.columns:
        raise InvalidInput(f"no weight column {column!r}", code="column_not_found")
    values = pd.to_numeric(rows[column], errors="coerce").to_numpy(dtype=float)
    if np.isnan(values).all() or (values[~np.isnan(values)] < 0).any():
        raise InvalidInput(f"weights in {column!r} must be numbers of 0 or more",
                           code="invalid_weight")
    filled: np.ndarray = np.nan_to_num(values, nan=float(np.nanmean(values)))
    return filled


def auto_folds(rows: int, features: int, budget: float | None) -> int:
    """3-fold cross-validation when the data is small for the budget, else one holdout:
    FLAML's rule (rows x features / 0.9 under 10M cells per budget hour, and under 100k
    rows), so a short budget on a big table still tries many settings."""
    if budget is None:
        return CV_FOLDS
    small = rows * features / 0.9 < CV_CELLS_PER_HOUR * budget / 3600
    return CV_FOLDS if small and rows < CV_MAX_ROWS else 1


def _splits(rows: pd.DataFrame, y: np.ndarray, task: Task, folds: int, time_column: str | None,
            seed: int) -> tuple[list[tuple[np.ndarray, np.ndarray]], str]:
    from sklearn.model_selection import KFold, StratifiedKFold, TimeSeriesSplit

    if time_column and time_column not in rows.columns:
        raise InvalidInput(f"no time column {time_column!r}", code="time_column_not_found")
    if folds == 1:
        return _holdout(rows, y, task, time_column, seed)
    if time_column:
        order = np.argsort(rows[time_column].to_numpy(), kind="stable")
        cut = TimeSeriesSplit(folds).split(order)
        return ([(order[a], order[b]) for a, b in cut],
                f"{folds} time-ordered folds on {time_column!r} (each fold validates on "
                "later rows than it trains on)")
    if task is Task.REGRESSION:
        return (list(KFold(folds, shuffle=True, random_state=seed).split(y)),
                f"{folds}-fold cross-validation")
    return (list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(y, y)),
            f"{folds}-fold stratified cross-validation")


def _holdout(rows: pd.DataFrame, y: np.ndarray, task: Task, time_column: str | None,
             seed: int) -> tuple[list[tuple[np.ndarray, np.ndarray]], str]:
    from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit

    share = f"{HOLDOUT_SHARE:.0%}"
    if time_column:
        order = np.argsort(rows[time_column].to_numpy(), kind="stable")
        cut = round(len(order) * (1 - HOLDOUT_SHARE))
        return ([(order[:cut], order[cut:])],
                f"one time-ordered holdout: the last {share} of rows by {time_column!r}")
    if task is Task.REGRESSION:
        split = ShuffleSplit(1, test_size=HOLDOUT_SHARE, random_state=seed).split(y)
        return list(split), f"one {share} holdout"
    split = StratifiedShuffleSplit(1, test_size=HOLDOUT_SHARE, random_state=seed).split(y, y)
    return list(split), f"one stratified {share} holdout"


def search(problem: Problem, *, budget_seconds: float, seed: int = 0,
           max_trials: int | None = None, on_trial: OnTrial | None = None,
           stop: Callable[[], bool] = lambda: False, n_threads: int = 0,
           pool: TrialPool | None = None) -> SearchResult:
    """The best settings for ``problem`` found within the budget; trials run one by one
    here, or in parallel on ``pool`` (its owner closes it).

    Raises:
        SluiceError: ``training_failed`` when no trial finished.
    """
    import optuna

    from sluice.core.training.folds import Scorer
    from sluice.core.training.parallel import ParallelSearch

    started = time.perf_counter()
    budget = check_budget(budget_seconds)
    scorer = Scorer(problem, seed, deadline=started + budget, stop=stop, on_trial=on_trial,
                    n_threads=n_threads)
    metric, higher = METRICS[problem.task]
    baseline_started = time.perf_counter()
    default_score = scorer.score_default()
    baseline_seconds = time.perf_counter() - baseline_started
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(
        direction="maximize" if higher else "minimize",
        sampler=optuna.samplers.TPESampler(seed=seed, constant_liar=pool is not None),
        pruner=optuna.pruners.SuccessiveHalvingPruner())
    for params in scorer.first_trials():
        study.enqueue_trial(params)
    if pool is not None:
        ParallelSearch(study, scorer, pool, deadline=started + budget, max_trials=max_trials,
                       stop=stop).run()
    else:
        _one_by_one(study, scorer, started + budget, max_trials, stop)
    scorer.baseline(default_score, baseline_seconds)
    trials = scorer.trials
    done = [t for t in trials if t.state == "complete"]
    if not done:
        first = next((t.note for t in trials if t.note), "no trial finished in the budget")
        raise SluiceError(f"no training trial succeeded: {first}", code="training_failed",
                          details={"trials": len(trials)})
    best = max(done, key=lambda t: _signed(t.score, higher))
    return SearchResult(task=problem.task, target="", metric=metric, higher_is_better=higher,
                        rows=len(problem.y), features=[c.name for c in problem.recipe.columns],
                        dropped=problem.dropped, folds=len(problem.splits), split=problem.split,
                        best=best, default_score=default_score, trials=trials,
                        seconds=time.perf_counter() - started)


def _one_by_one(study: Any, scorer: Scorer, deadline: float, max_trials: int | None,
                stop: Callable[[], bool]) -> None:
    firsts = scorer.protected
    halt = [lambda s, _: s.stop() if stop() else None]
    study.optimize(scorer.objective, n_trials=min(firsts, max_trials or firsts),
                   catch=(Exception,), callbacks=halt)  # the defaults run whatever the budget
    left = deadline - time.perf_counter()
    more = None if max_trials is None else max_trials - firsts
    if left > 0 and (more is None or more > 0) and not stop():
        study.optimize(scorer.objective, timeout=left, n_trials=more, catch=(Exception,),
                       callbacks=halt)


def _signed(score: float | None, higher: bool) -> float:
    value = float(score if score is not None else np.nan)
    return value if higher else -value
