"""A search whose trials run in parallel on a :class:`~sluice.core.training.pools.TrialPool`.

Optuna's ask-and-tell interface keeps one trial per free slot in flight: TPE suggests the
next settings while others run (with the constant liar, so parallel trials spread out), and
each outcome is told back as it arrives. Trials are not pruned fold by fold here (they run
whole in their workers); each one stops at the budget's end on its own. A trial whose
worker dies is recorded as failed and its slot gets the next trial.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import TYPE_CHECKING, Any

from sluice.core.training.folds import Outcome
from sluice.core.training.pools import TrialSpec, died

if TYPE_CHECKING:
    from sluice.core.training.folds import Scorer
    from sluice.core.training.pools import TrialPool

POLL_SECONDS = 0.2


class ParallelSearch:
    def __init__(self, study: Any, scorer: Scorer, pool: TrialPool, *, deadline: float,
                 max_trials: int | None, stop: Callable[[], bool]) -> None:
        self.study, self.scorer, self.pool = study, scorer, pool
        self.deadline, self.max_trials, self.stop = deadline, max_trials, stop
        self.asked = 0
        self.running: dict[Future[Outcome], Any] = {}

    def run(self) -> None:
        """Run trials until the budget, ``max_trials`` or a cancel ends the search."""
        while True:
            self._fill()
            if not self.running:
                return
            done, _ = wait(list(self.running), timeout=POLL_SECONDS,
                           return_when=FIRST_COMPLETED)
            if self.stop():
                self._cancel()
                return
            for future in done:
                self._told(future)

    def _may_start(self) -> bool:
        if self.stop() or (self.max_trials is not None and self.asked >= self.max_trials):
            return False
        return self.asked < self.scorer.protected or time.perf_counter() < self.deadline

    def _fill(self) -> None:
        while len(self.running) < self.pool.slots and self._may_start():
            trial = self.study.ask()
            family, params, balanced = self.scorer.space(trial)
            protected = trial.number < self.scorer.protected
            spec = TrialSpec(trial.number, family, params, balanced, self.scorer.seed,
                             self.scorer.n_threads,
                             None if protected else self.deadline - time.perf_counter())
            self.running[self.pool.submit(spec)] = trial
            self.asked += 1

    def _told(self, future: Future[Outcome]) -> None:
        import optuna

        trial = self.running.pop(future)
        try:
            outcome = future.result()
        except Exception as exc:  # the worker died, or Ray failed the task
            outcome = Outcome(state="failed", note=died(exc))
        self.scorer.record(trial.number, trial.params, outcome)
        if outcome.score is None:
            self.study.tell(trial, state=optuna.trial.TrialState.FAIL)
        else:
            self.study.tell(trial, outcome.score)

    def _cancel(self) -> None:
        import optuna

        self.pool.cancel()
        for trial in self.running.values():
            self.scorer.record(trial.number, trial.params,
                               Outcome(state="failed", note="cancelled"))
            self.study.tell(trial, state=optuna.trial.TrialState.FAIL)
        self.running.clear()
