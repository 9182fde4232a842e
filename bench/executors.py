"""Where AutoML trials run, on the same search: trials per minute and the test metric.

The search of ``bench.automl`` on the Adult census table (../shared/data/adult, the same
80/20 split), each trial 3-fold cross-validated, under the same budget, three ways on the
same machine:

- ``inline``: the default, one trial at a time in the training job, LightGBM on every core
  (``train_threads`` = the cores), pruned fold by fold by successive halving;
- ``processes``: ``SLUICE_TRAIN_TRIALS=processes``, one trial per core in local worker
  processes, one LightGBM thread each;
- ``ray``: ``SLUICE_EXECUTOR=ray``'s trial pool, one Ray task per core on a local Ray
  (``ray.init(num_cpus=cores, include_dashboard=False)``), one thread each. Starting Ray and
  warming its workers is timed apart and not in the budget.

Trials per minute counts every trial the search started (complete, pruned, cut or failed;
not the LightGBM-defaults baseline) over the search's seconds. Each run is its own process;
the modes alternate within each seed; medians of the seeds are reported with min and max.

    python -m bench.executors [--quick] [--budget 30] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.common import ROOT, quick, save, spread

BUDGET = 30.0
QUICK_BUDGET = 5.0
REPEATS = 3
MODES = ("inline", "processes", "ray")


def run_mode(mode: str, seed: int, budget: float) -> dict[str, Any]:
    from bench.automl import dataset, test_metric
    from sluice.core.training.families import predict_any, threads
    from sluice.core.training.folds import Scorer
    from sluice.core.training.pools import ProcessTrials, RayTrials, TrialPool
    from sluice.core.training.tabular import prepare, search
    from sluice.settings import Settings

    cores = os.cpu_count() or 1
    d = dataset("adult", quick())
    problem = prepare(d.train, d.target, seed=seed, folds=3)
    started = time.perf_counter()
    pool: TrialPool | None = None
    n_threads = threads(cores)
    if mode == "processes":
        pool, n_threads = ProcessTrials(problem, cores), 1
    elif mode == "ray":
        pool, n_threads = RayTrials(problem, Settings(ray_cpus=cores), 1), 1
    ready = time.perf_counter()
    try:
        found = search(problem, budget_seconds=budget, seed=seed, n_threads=n_threads,
                       pool=pool)
    finally:
        if pool is not None:
            pool.close()
    searched = time.perf_counter()
    scorer = Scorer(problem, seed, deadline=float("inf"), stop=lambda: False, on_trial=None,
                    n_threads=threads(cores))
    out = predict_any(scorer.refit(found.best), _test_features(problem, d))
    tried = [t for t in found.trials if "baseline" not in t.note]
    states = [t.state for t in tried]
    search_s = searched - ready - _baseline_seconds(found)
    return {"trials": len(tried), "trials_per_minute": 60.0 * len(tried) / search_s,
            "complete": states.count("complete"), "pruned": states.count("pruned"),
            "cut": states.count("cut"), "failed": states.count("failed"),
            "search_s": search_s, "start_s": ready - started, "roc_auc": test_metric(d, out),
            "cv_best": found.best.score, "slots": pool.slots if pool else 1,
            "threads_per_trial": n_threads}


def _test_features(problem: Any, d: Any) -> Any:
    from sluice.core.training.featurize import transform

    return transform(problem.recipe, d.features(d.test), None)


def _baseline_seconds(found: Any) -> float:
    """The LightGBM-defaults baseline is scored before the search in every mode."""
    return sum(t.seconds for t in found.trials if "baseline" in t.note)


def worker(mode: str, seed: int, budget: float) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.executors", "--worker", mode, str(seed),
               str(budget), *(["--quick"] if quick() else [])]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False, cwd=ROOT,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    if done.returncode:
        raise SystemExit(f"{mode} (seed {seed}) failed: exit {done.returncode}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.executors", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_BUDGET:g} s, 1 repeat")
    parser.add_argument("--budget", type=float, default=None)
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--worker", nargs=3, metavar=("MODE", "SEED", "BUDGET"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.budget = args.budget or (QUICK_BUDGET if quick() else BUDGET)
    args.repeats = args.repeats or (1 if quick() else REPEATS)
    return args


def main() -> dict[str, Any]:
    args = options()
    if args.worker:
        mode, seed, budget = args.worker
        out = run_mode(mode, int(seed), float(budget))
        print(json.dumps(out), flush=True)
        return out
    runs: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MODES}
    for seed in range(args.repeats):
        for mode in MODES:
            runs[mode].append(worker(mode, seed, args.budget))
            last = runs[mode][-1]
            print(f"seed {seed} {mode:9s} {last['trials_per_minute']:6.1f} trials/min "
                  f"ROC AUC {last['roc_auc']:.4f}", file=sys.stderr, flush=True)
    modes = {mode: {"trials_per_minute": spread([r["trials_per_minute"] for r in rs], 1),
                    "roc_auc": spread([r["roc_auc"] for r in rs]),
                    "trials": spread([r["trials"] for r in rs], 0),
                    "start_s": spread([r["start_s"] for r in rs], 2), "runs": rs}
             for mode, rs in runs.items()}
    inline = modes["inline"]["trials_per_minute"]["median"]
    ratios = {mode: round(statistics.median(
        r["trials_per_minute"] for r in runs[mode]) / inline, 2) for mode in MODES}
    result = {"budget_s": args.budget, "repeats": args.repeats, "dataset": "adult",
              "cores": os.cpu_count(), "modes": modes, "ratios_vs_inline": ratios}
    save("executors", result, {"budget_s": args.budget, "repeats": args.repeats})
    for mode in MODES:
        print(f"{mode:9s} {modes[mode]['trials_per_minute']['median']:6.1f} trials/min "
              f"({ratios[mode]:.2f}x inline), ROC AUC {modes[mode]['roc_auc']['median']:.4f}")
    return result


if __name__ == "__main__":
    main()
