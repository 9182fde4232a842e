"""How one set of settings scores on a problem's folds: the objective Optuna calls, the
record of every trial it ran, the LightGBM-defaults baseline, and the final refit."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from sluice.core.training.families import (
    DEFAULT_ROUNDS,
    LGB_DEFAULTS,
    ROUNDS,
    Fitted,
    Rows,
    Stopped,
    fit_lgb,
    fit_linear,
    lgb_base,
    lgb_space,
    linear_space,
    predict_any,
)
from sluice.core.training.models import Task, Trial

if TYPE_CHECKING:
    from sluice.core.training.tabular import OnTrial, Problem

REFIT_ROUNDS = 1.1  # the refit sees all rows, a third more than a fold: a few more rounds


class Scorer:
    """Scores settings on the folds of one problem and records each trial."""

    def __init__(self, problem: Problem, seed: int, *, deadline: float,
                 stop: Callable[[], bool], on_trial: OnTrial | None,
                 n_threads: int = 0) -> None:
        self.p, self.seed, self.deadline, self.n_threads = problem, seed, deadline, n_threads
        self.stop, self.on_trial = stop, on_trial
        self.families = ["lightgbm"] + (["linear"] if problem.recipe.text else [])
        shares = np.bincount(problem.y.astype(int)) / len(problem.y) \
            if problem.task is not Task.REGRESSION else np.ones(1)
        self.balance = bool(shares.min() < 0.2)
        self.trials: list[Trial] = []
        self.protected = len(self.first_trials())

    def first_trials(self) -> list[dict[str, Any]]:
        """The defaults of each family: tried first, and never cut by the budget."""
        lgb: dict[str, Any] = dict(LGB_DEFAULTS)
        firsts = [lgb]
        if len(self.families) > 1:  # the cheap linear model first: text makes LightGBM slow
            lgb["family"] = "lightgbm"
            firsts.insert(0, {"family": "linear", "C": 1.0})
        if self.balance:
            for first in firsts:
                first["balanced"] = False
        return firsts

    def objective(self, trial: Any) -> float:
        """Optuna's objective: the trial's folds one by one, pruned by successive halving
        when it trails after a fold."""
        import optuna

        family, params, balanced = self.space(trial)

        def prune(step: int, folds: list[float]) -> bool:
            trial.report(float(np.nanmean(folds)), step=step)
            return bool(trial.should_prune())

        outcome = self.evaluate(family, params, balanced,
                                protected=trial.number < self.protected, prune=prune)
        self.record(trial.number, trial.params, outcome)
        if outcome.state == "pruned":
            raise optuna.TrialPruned()
        if outcome.score is None:
            raise TrialFailed(outcome.note)
        return outcome.score

    def evaluate(self, family: str, params: dict[str, Any], balanced: bool, *,
                 protected: bool, prune: Callable[[int, list[float]], bool] | None = None,
                 ) -> Outcome:
        """Fit and score one set of settings on every fold; never raises."""
        out = Outcome(state="complete")
        started = time.perf_counter()
        try:
            for i, (train, valid) in enumerate(self.p.splits):
                fitted = self.fit(family, params, balanced, train, valid, protected=protected)
                out.rounds.append(fitted.rounds)
                out.curve, out.curve_name = fitted.curve, fitted.curve_name
                out.folds.append(self.metric(self.p.y[valid],
                                             predict_any(fitted, self.p.x[valid])))
                if prune is not None and prune(i, out.folds):
                    out.state = "pruned"
                    break
        except Stopped:
            cancelled = self.stop()
            out.state = "failed" if cancelled else "cut"
            out.note = "cancelled" if cancelled else "stopped: the time budget ran out"
        except Exception as exc:
            out.state, out.note = "failed", f"{type(exc).__name__}: {exc}"[:300]
        if out.state == "complete" and np.isnan(np.nanmean(out.folds or [np.nan])):
            out.state, out.note = "failed", "no fold could be scored"
        out.seconds = time.perf_counter() - started
        return out

    def space(self, trial: Any) -> tuple[str, dict[str, Any], bool]:
        family = trial.suggest_categorical("family", self.families) \
            if len(self.families) > 1 else "lightgbm"
        params = lgb_space(trial) if family == "lightgbm" else linear_space(trial)
        balanced = bool(trial.suggest_categorical("balanced", [False, True])) \
            if self.balance else False
        return family, params, balanced

    def fit(self, family: str, params: dict[str, Any], balanced: bool, train: np.ndarray,
            valid: np.ndarray | None, *, protected: bool = False,
            rounds: int = ROUNDS) -> Fitted:
        def stop() -> bool:
            return self.stop() or (not protected and time.perf_counter() > self.deadline)

        fit_rows = self._rows(train, balanced)
        if family == "linear":
            if stop():
                raise Stopped()
            return fit_linear(params, self.p.task, fit_rows, len(self.p.classes))
        full = {**lgb_base(self.p.task, len(self.p.classes), self.seed, self.n_threads),
                **params}
        check = self._rows(valid, False) if valid is not None else None
        return fit_lgb(full, fit_rows, check, rounds, stop)

    def _rows(self, index: np.ndarray, balanced: bool) -> Rows:
        weight = self.p.weight[index] if self.p.weight is not None else None
        if balanced:
            y = self.p.y[index].astype(int)
            counts = np.bincount(y, minlength=len(self.p.classes)).astype(float)
            per_class = len(y) / (len(self.p.classes) * np.maximum(counts, 1.0))
            weight = per_class[y] * (weight if weight is not None else 1.0)
        return Rows(self.p.x[index], self.p.y[index], weight, self.p.recipe.categorical())

    def score_default(self) -> float:
        """LightGBM's defaults (100 rounds, no early stopping) on the same folds."""
        params = {**lgb_base(self.p.task, len(self.p.classes), self.seed, self.n_threads),
                  **LGB_DEFAULTS, "bagging_freq": 0}
        scores = []
        for train, valid in self.p.splits:
            fitted = fit_lgb(params, self._rows(train, False), None, DEFAULT_ROUNDS, self.stop)
            scores.append(self.metric(self.p.y[valid], predict_any(fitted, self.p.x[valid])))
        return float(np.nanmean(scores))

    def refit(self, best: Trial) -> Fitted:
        """The best settings fitted on every row."""
        params = {k: v for k, v in best.params.items() if k not in ("family", "balanced")}
        rounds = best.refit_rounds or max(1, round(best.rounds * REFIT_ROUNDS))
        return self.fit(best.family, params, bool(best.params.get("balanced")),
                        np.arange(len(self.p.y)), None, protected=True, rounds=rounds)

    def baseline(self, value: float, seconds: float) -> Trial:
        """LightGBM's defaults at 100 rounds as a trial of their own, so the search never
        picks a model worse than the baseline it reports."""
        record = Trial(number=len(self.trials), family="lightgbm", params=dict(LGB_DEFAULTS),
                       score=value, rounds=DEFAULT_ROUNDS, refit_rounds=DEFAULT_ROUNDS,
                       seconds=seconds, state="complete",
                       note="LightGBM defaults, 100 rounds (the baseline)")
        self.trials.append(record)
        if self.on_trial is not None:
            self.on_trial(record, [], "")
        return record

    def metric(self, truth: np.ndarray, predicted: np.ndarray) -> float:
        return score(self.p.task, truth, predicted)

    def record(self, number: int, params: dict[str, Any], outcome: Outcome) -> None:
        """Keep one trial's outcome and tell ``on_trial``."""
        record = Trial(number=number, family=str(params.get("family", "lightgbm")),
                       params=dict(params), score=outcome.score, fold_scores=outcome.folds,
                       rounds=int(np.mean(outcome.rounds)) if outcome.rounds else 0,
                       seconds=outcome.seconds, state=outcome.state, note=outcome.note)
        self.trials.append(record)
        if self.on_trial is not None:
            self.on_trial(record, outcome.curve, outcome.curve_name)


@dataclass
class Outcome:
    """What scoring one set of settings gave: picklable, so a worker process or a Ray task
    can send it back."""

    state: str  # complete | pruned | cut | failed
    folds: list[float] = field(default_factory=list)
    rounds: list[int] = field(default_factory=list)
    seconds: float = 0.0
    note: str = ""
    curve: list[float] = field(default_factory=list)  # the last fold's validation curve
    curve_name: str = ""

    @property
    def score(self) -> float | None:
        return float(np.nanmean(self.folds)) if self.state == "complete" else None


class TrialFailed(Exception):
    """Tells Optuna a trial failed (the reason is on its record already)."""


def score(task: Task, truth: np.ndarray, predicted: np.ndarray) -> float:
    """ROC AUC (binary), accuracy (classes) or RMSE (numbers); NaN when a fold holds one
    class only (a time-ordered fold can)."""
    from sklearn.metrics import roc_auc_score

    if task is Task.BINARY:
        if len(np.unique(truth)) < 2:
            return float("nan")
        return float(roc_auc_score(truth, predicted))
    if task is Task.MULTICLASS:
        return float(np.mean(np.argmax(predicted, axis=1) == truth))
    return float(np.sqrt(np.mean((truth - predicted) ** 2)))
