"""AutoML trials as parallel Ray tasks and in local worker processes: the same search as
inline, and a trial whose worker is SIGKILLed mid-fit is recorded as failed while the
search goes on."""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

import numpy as np
import pandas as pd
import psutil
import pytest

from sluice.core.training.pools import ProcessTrials, RayTrials
from sluice.core.training.tabular import Problem, prepare, search
from sluice.settings import Settings
from tests.ray.conftest import ray_processes

pytestmark = [pytest.mark.ray, pytest.mark.slow, pytest.mark.xdist_group("ray")]
DIED = "the trial's worker died (killed or out of memory); the search went on"


def _cancer() -> Problem:
    from sklearn.datasets import load_breast_cancer

    return prepare(load_breast_cancer(as_frame=True).frame, "target")


def _slow_problem() -> Problem:
    """Big enough that one trial fits for a few seconds on one thread."""
    from sklearn.datasets import make_classification

    x, y = make_classification(n_samples=30_000, n_features=20, n_informative=10,
                               random_state=0)
    frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(20)])
    frame["y"] = y
    return prepare(frame, "y")


def test_ray_trials_find_what_the_inline_search_finds(ray_cluster: Any) -> None:
    problem = _cancer()
    pool = RayTrials(problem, Settings(), n_threads=1)
    assert pool.slots == 2 and "Ray" in pool.where
    try:
        found = search(problem, budget_seconds=3, max_trials=6, pool=pool, n_threads=1)
    finally:
        pool.close()
    inline = search(problem, budget_seconds=3, max_trials=2, n_threads=1)
    assert [t.state for t in found.trials].count("complete") >= 3
    assert len({t.number for t in found.trials}) == len(found.trials) == 7  # 6 + baseline
    first = next(t for t in found.trials if t.number == 0)
    assert first.params["num_leaves"] == 31  # the defaults come first here too
    assert first.score == pytest.approx(inline.trials[0].score)  # same settings, same score
    assert found.best.score >= first.score > 0.97


def _kill_first(find: Any, killed: list[int], done: threading.Event) -> None:
    while not done.is_set() and not killed:
        for process in find():
            process.send_signal(signal.SIGKILL)
            killed.append(process.pid)
            return
        time.sleep(0.05)


def _search_killing_one(problem: Problem, pool: Any, find: Any) -> Any:
    killed: list[int] = []
    done = threading.Event()
    killer = threading.Thread(target=_kill_first, args=(find, killed, done))
    killer.start()
    try:
        return search(problem, budget_seconds=60, max_trials=4, pool=pool, n_threads=1), killed
    finally:
        done.set()
        killer.join()
        pool.close()


def test_a_sigkilled_ray_trial_fails_and_the_search_goes_on(ray_cluster: Any) -> None:
    problem = _slow_problem()
    found, killed = _search_killing_one(problem, RayTrials(problem, Settings(), n_threads=1),
                                        lambda: ray_processes("_run_trial_on_ray"))
    assert killed, "no trial was seen running"
    [failed] = [t for t in found.trials if t.note == DIED]
    assert failed.state == "failed" and failed.score is None
    assert _completed_after(found.trials, failed.number)
    assert len({t.number for t in found.trials}) == 5  # 4 and the baseline
    assert np.isfinite(found.best.score)


def test_a_sigkilled_local_worker_fails_its_trials_and_a_new_pool_goes_on() -> None:
    problem = _slow_problem()
    me = psutil.Process()

    def workers() -> list[Any]:
        return [p for p in me.children() if "spawn_main" in " ".join(p.cmdline())
                and p.cpu_percent(0.05) > 20]

    found, killed = _search_killing_one(problem, ProcessTrials(problem, 2), workers)
    assert killed, "no trial was seen running"
    failed = [t for t in found.trials if t.note == DIED]
    assert 1 <= len(failed) <= 2  # a dead process breaks the trials its pool was running
    assert _completed_after(found.trials, min(t.number for t in failed))
    assert found.best.state == "complete"


def _completed_after(trials: list[Any], number: int) -> bool:
    """A trial the search started after ``number`` finished (the baseline aside)."""
    return any(t.state == "complete" and t.number > number and "baseline" not in t.note
               for t in trials)
