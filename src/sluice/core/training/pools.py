"""Where parallel AutoML trials run: local worker processes, or Ray tasks.

Each pool receives the problem once (a process's initializer, Ray's object store) and then
only small :class:`TrialSpec` records; each trial comes back as a future of its
:class:`~sluice.core.training.folds.Outcome`. A worker that dies (SIGKILL, out of memory)
fails the futures of the trials it ran, and the next trial gets a fresh worker.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sluice.core.training.folds import Outcome
    from sluice.core.training.tabular import Problem
    from sluice.settings import Settings


@dataclass(frozen=True)
class TrialSpec:
    """One trial's settings, as sent to a worker."""

    number: int
    family: str
    params: dict[str, Any]
    balanced: bool
    seed: int
    n_threads: int
    seconds_left: float | None  # None: one of the defaults, run whatever the budget


class TrialPool(Protocol):
    slots: int  # trials that run at once
    where: str  # in words, for the report

    def submit(self, spec: TrialSpec) -> Future[Outcome]: ...
    def cancel(self) -> None: ...
    def close(self) -> None: ...


def trial_pool(problem: Problem, settings: Settings) -> tuple[TrialPool | None, int]:
    """Where ``settings`` say trials run (None: inline) and the LightGBM threads each uses."""
    from sluice.core.training.families import threads

    kind = settings.train_trials
    if kind == "auto":
        kind = "ray" if settings.executor == "ray" else "inline"
    if kind == "inline":
        return None, threads(settings.train_threads)
    per_trial = settings.train_threads or 1
    if kind == "ray":
        return RayTrials(problem, settings, per_trial), per_trial
    slots = settings.train_parallel or max(1, (os.cpu_count() or 1) // per_trial)
    return ProcessTrials(problem, slots), per_trial


def run_spec(problem: Problem, spec: TrialSpec) -> Outcome:
    """Score one trial's settings on the problem's folds (in whatever process runs it)."""
    from sluice.core.training.folds import Scorer

    unbounded = spec.seconds_left is None
    deadline = float("inf") if unbounded else time.perf_counter() + float(spec.seconds_left or 0)
    scorer = Scorer(problem, spec.seed, deadline=deadline, stop=lambda: False, on_trial=None,
                    n_threads=spec.n_threads)
    return scorer.evaluate(spec.family, dict(spec.params), spec.balanced, protected=unbounded)


# -- local worker processes ------------------------------------------------------------

_HELD: Problem | None = None


def _hold(path: str) -> None:
    """Read the problem this pool's parent wrote (its own file, in a private folder)."""
    import pickle

    global _HELD
    with open(path, "rb") as file:
        _HELD = pickle.load(file)  # written by this pool's parent process, never a user


def _run_held(spec: TrialSpec) -> Outcome:
    assert _HELD is not None, "worker not initialised"
    return run_spec(_HELD, spec)


class ProcessTrials:
    """Trials in a pool of spawned local processes, each holding the problem.

    The problem reaches a new worker as a file, not through the spawn pipe: a worker
    killed while starting would leave its parent blocked on a full pipe forever.
    """

    def __init__(self, problem: Problem, slots: int) -> None:
        import pickle

        self.slots = max(1, slots)
        self.where = f"{self.slots} local worker process(es)"
        self._folder = tempfile.TemporaryDirectory(prefix="sluice-trials-")
        self._path = os.path.join(self._folder.name, "problem.pickle")
        with open(self._path, "wb") as file:
            pickle.dump(problem, file, protocol=pickle.HIGHEST_PROTOCOL)
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def submit(self, spec: TrialSpec) -> Future[Outcome]:
        pool = self._current()
        try:
            future = pool.submit(_run_held, spec)
        except BrokenProcessPool:
            self._discard(pool)
            pool = self._current()
            future = pool.submit(_run_held, spec)
        future.add_done_callback(lambda f: self._broken(pool, f))
        return future

    def cancel(self) -> None:
        """Stop every running trial now: their processes are killed."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            for process in list(getattr(pool, "_processes", {}).values()):
                if process.is_alive():
                    process.kill()
            pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        self._folder.cleanup()

    def _current(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self.slots, mp_context=multiprocessing.get_context("spawn"),
                    initializer=_hold, initargs=(self._path,))
            return self._pool

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None

    def _broken(self, pool: ProcessPoolExecutor, future: Future[Outcome]) -> None:
        if not future.cancelled() and isinstance(future.exception(), BrokenProcessPool):
            self._discard(pool)


# -- Ray tasks -------------------------------------------------------------------------


def _run_trial_on_ray(problem: Problem, spec: TrialSpec) -> Outcome:
    return run_spec(problem, spec)


def _warm() -> None:
    import lightgbm  # noqa: F401

    import sluice.core.training.folds  # noqa: F401


class RayTrials:
    """Trials as Ray tasks (one CPU per LightGBM thread), the problem put in Ray's object
    store once; no retries, so a killed trial is reported, not run twice."""

    def __init__(self, problem: Problem, settings: Settings, n_threads: int) -> None:
        from sluice.core.jobs.ray import connect, cpus

        self.ray = connect(settings)
        self.slots = max(1, cpus(self.ray) // max(1, n_threads))
        self.where = f"{self.slots} Ray task(s) at a time"
        self._problem = self.ray.put(problem)
        self._task = self.ray.remote(_run_trial_on_ray).options(num_cpus=max(1, n_threads),
                                                          max_retries=0)
        self._running: dict[Future[Outcome], Any] = {}
        self._lock = threading.Lock()
        self._warm(n_threads)

    def _warm(self, n_threads: int) -> None:
        """Have each slot's worker import the training code before the budget's clock
        starts (a cold Ray worker takes seconds to)."""
        warm = self.ray.remote(_warm).options(num_cpus=max(1, n_threads))
        self.ray.get([warm.remote() for _ in range(self.slots)])

    def submit(self, spec: TrialSpec) -> Future[Outcome]:
        ref = self._task.remote(self._problem, spec)
        future: Future[Outcome] = ref.future()
        with self._lock:
            self._running[future] = ref
        future.add_done_callback(self._forget)
        return future

    def cancel(self) -> None:
        with self._lock:
            refs = list(self._running.values())
        for ref in refs:
            self.ray.cancel(ref, force=True)

    def close(self) -> None:
        self.cancel()
        self._problem = None

    def _forget(self, future: Future[Outcome]) -> None:
        with self._lock:
            self._running.pop(future, None)


def died(exc: BaseException) -> str:
    """A trial's failure in words, for its record."""
    name = type(exc).__name__
    if isinstance(exc, BrokenProcessPool) or name in ("WorkerCrashedError", "OutOfMemoryError",
                                                      "NodeDiedError"):
        return "the trial's worker died (killed or out of memory); the search went on"
    if name in ("TaskCancelledError", "CancelledError"):
        return "cancelled"
    return f"{name}: {exc}"[:300]
