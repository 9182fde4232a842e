"""AutoML under the same time budget: Sluice's training search against FLAML (``pip
install flaml xgboost-cpu``, ``AutoML().fit(..., time_budget=, metric=, estimator_list=
"auto", seed=)``, its documented setup) and LightGBM with its default parameters
(``LGBMClassifier()`` / ``LGBMRegressor()``), on three datasets of ../shared/data:

- ``adult``: census income above 50K (binary), ROC AUC on the test split;
- ``bike_sharing``: hourly rentals ``cnt`` (regression; ``casual`` and ``registered``,
  which sum to it, and the ``instant``/``dteday`` ids are dropped), RMSE;
- ``ag_news``: topic (four classes) of ``title. description``, accuracy.

Every tool gets the same 80/20 split (stratified for classes, seed 0) and the same budget
in seconds; each measurement is repeated with search seeds 0..R-1 on that split and the
medians are reported, with min and max. Sluice runs its engine as a training job does:
``prepare`` (text embedded with the bundled MiniLM, the embedding counted in Sluice's
seconds), ``search``, ``Scorer.refit`` of the best on all training rows, then the test rows
turned into features by the same recipe. FLAML cannot read free text (a string column with
a value per row is dropped as an identifier; its text path fine-tunes transformers), so
FLAML and LightGBM get a TF-IDF matrix of the same text (``TfidfVectorizer(max_features=
20000)``, fitted on the training rows, counted in their seconds). Goals: Sluice at least
FLAML's test metric, and above LightGBM's defaults, on every dataset.

Each run is its own Python process (imports and loading MiniLM are not timed), the tools
alternating within each seed. ``--threads N`` caps every tool at N threads (OpenMP, and
FLAML's ``n_jobs``); by default each uses its own default, every core.

    python -m bench.automl [--quick] [--budget 60] [--repeats 3] [--threads N]
                           [--datasets adult,bike_sharing,ag_news]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import pandas as pd

from bench.common import ROOT, quick, save, shared, spread

BUDGET = 60.0
REPEATS = 3
QUICK_BUDGET = 5.0
QUICK_ROWS = {"adult": 3000, "bike_sharing": 3000, "ag_news": 1200}  # before the split
DATASETS = ("adult", "bike_sharing", "ag_news")
TOOLS = ("sluice", "flaml", "lightgbm_default")
TFIDF_FEATURES = 20_000
SPLIT_SEED = 0
TEST_SHARE = 0.2
ADULT_COLUMNS = ["age", "workclass", "fnlwgt", "education", "education-num", "marital-status",
                 "occupation", "relationship", "race", "sex", "capital-gain", "capital-loss",
                 "hours-per-week", "native-country", "income"]
HIGHER = {"roc_auc": True, "accuracy": True, "rmse": False}


@dataclass
class Data:
    name: str
    task: str  # binary | multiclass | regression
    metric: str  # roc_auc | accuracy | rmse
    target: str
    train: pd.DataFrame
    test: pd.DataFrame
    text: str | None = None  # the free-text column, for ag_news
    positive: str | None = None  # the class ROC AUC scores, for binary

    def features(self, frame: pd.DataFrame) -> pd.DataFrame:
        return frame.drop(columns=[self.target])


# -- data -------------------------------------------------------------------------------


def load_adult() -> tuple[pd.DataFrame, dict[str, Any]]:
    frame = pd.read_csv(shared("adult") / "adult.data", header=None, names=ADULT_COLUMNS,
                        skipinitialspace=True)
    frame["income"] = frame["income"].str.strip()
    return frame, {"task": "binary", "metric": "roc_auc", "target": "income",
                   "positive": ">50K"}


def load_bike_sharing() -> tuple[pd.DataFrame, dict[str, Any]]:
    frame = pd.read_csv(shared("bike_sharing") / "hour.csv")
    frame = frame.drop(columns=["instant", "dteday", "casual", "registered"])
    return frame, {"task": "regression", "metric": "rmse", "target": "cnt"}


def load_ag_news() -> tuple[pd.DataFrame, dict[str, Any]]:
    raw = pd.read_csv(shared("ag_news") / "test.csv", header=None,
                      names=["topic", "title", "description"])
    names = ["world", "sports", "business", "scitech"]
    frame = pd.DataFrame({"text": raw.title.str.strip() + ". " + raw.description.str.strip(),
                          "topic": [names[i - 1] for i in raw.topic]})
    return frame, {"task": "multiclass", "metric": "accuracy", "target": "topic",
                   "text": "text"}


LOADERS: dict[str, Callable[[], tuple[pd.DataFrame, dict[str, Any]]]] = {
    "adult": load_adult, "bike_sharing": load_bike_sharing, "ag_news": load_ag_news}


def dataset(name: str, small: bool) -> Data:
    """The dataset split 80/20 with seed 0 (stratified for classes); a quick run first takes
    a sample of ``QUICK_ROWS`` rows (stratified too)."""
    from sklearn.model_selection import train_test_split

    frame, info = LOADERS[name]()
    classes = info["task"] != "regression"
    if small and len(frame) > QUICK_ROWS[name]:
        frame, _ = train_test_split(frame, train_size=QUICK_ROWS[name], random_state=SPLIT_SEED,
                                    stratify=frame[info["target"]] if classes else None)
    train, test = train_test_split(frame, test_size=TEST_SHARE, random_state=SPLIT_SEED,
                                   stratify=frame[info["target"]] if classes else None)
    return Data(name=name, train=train.reset_index(drop=True),
                test=test.reset_index(drop=True), **info)


def test_metric(d: Data, predicted: np.ndarray) -> float:
    """The test split's metric from each tool's output: P(positive) for binary, class names
    for multiclass, numbers for regression (scored by scikit-learn, not by any tool)."""
    from sklearn.metrics import accuracy_score, roc_auc_score

    truth = d.test[d.target]
    if d.metric == "roc_auc":
        return float(roc_auc_score((truth.astype(str) == d.positive).to_numpy(), predicted))
    if d.metric == "accuracy":
        return float(accuracy_score(truth.astype(str).to_numpy(), np.asarray(predicted, str)))
    values = np.asarray(predicted, dtype=float)
    return float(np.sqrt(np.mean((truth.to_numpy(dtype=float) - values) ** 2)))


def tfidf(d: Data) -> tuple[Any, Any]:
    """FLAML's and LightGBM's input for text: TF-IDF of the training rows' words."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(max_features=TFIDF_FEATURES)
    assert d.text is not None
    return (vectorizer.fit_transform(d.train[d.text]), vectorizer.transform(d.test[d.text]))


# -- the three tools --------------------------------------------------------------------


class Embedder:
    """Sluice's text embedding (``TextVectors``, the bundled MiniLM), timed; the model is
    loaded (``load_s``) before any run's clock starts."""

    def __init__(self, home: str) -> None:
        from sluice.core.training.texts import TextVectors
        from sluice.settings import load_settings

        self.vectors = TextVectors(load_settings(home=home))
        started = time.perf_counter()
        self.vectors.embed("bench-warmup", ["the model loads once per process"])
        self.load_s = time.perf_counter() - started
        self.seconds = 0.0
        self.texts = 0
        self.project = "bench"

    def __call__(self, texts: list[str]) -> np.ndarray:
        started = time.perf_counter()
        out = self.vectors.embed(self.project, texts)
        self.seconds += time.perf_counter() - started
        self.texts += len(texts)
        return out


def run_sluice(d: Data, budget: float, seed: int, embed: Embedder | None,
               threads: int = 0) -> dict[str, Any]:
    from sluice.core.training.families import predict_any
    from sluice.core.training.featurize import transform
    from sluice.core.training.folds import Scorer
    from sluice.core.training.tabular import prepare, search

    started = time.perf_counter()
    problem = prepare(d.train, d.target, embed=embed, seed=seed, budget=budget)
    prepared = time.perf_counter()
    found = search(problem, budget_seconds=budget, seed=seed, n_threads=threads)
    searched = time.perf_counter()
    scorer = Scorer(problem, seed, deadline=float("inf"), stop=lambda: False, on_trial=None,
                    n_threads=threads)
    fitted = scorer.refit(found.best)
    refitted = time.perf_counter()
    x_test = transform(problem.recipe, d.features(d.test), embed)
    out = predict_any(fitted, x_test)
    wall = time.perf_counter() - started
    if d.task == "multiclass":
        out = np.asarray(problem.classes)[np.argmax(out, axis=1)]
    elif d.task == "binary":
        assert problem.classes[1] == d.positive, problem.classes
    states = [t.state for t in found.trials]
    return {"metric": test_metric(d, out), "wall_s": wall, "trials": len(states),
            "trials_complete": states.count("complete"), "trials_pruned": states.count("pruned"),
            "trials_failed": states.count("failed"), "trials_cut": states.count("cut"),
            "best": found.best.family,
            "best_params": found.best.params, "best_rounds": found.best.rounds,
            "cv_best": found.best.score, "cv_lightgbm_default": found.default_score,
            "embed_s": embed.seconds if embed else 0.0,
            "texts_embedded": embed.texts if embed else 0,
            "model_load_s": embed.load_s if embed else 0.0,
            "prepare_s": prepared - started, "search_s": searched - prepared,
            "refit_s": refitted - searched, "predict_s": wall - (refitted - started),
            "features": len(problem.recipe.feature_names()),
            "feature_kinds": {c.name: c.kind for c in problem.recipe.columns},
            "dropped": problem.dropped}


def run_flaml(d: Data, budget: float, seed: int, threads: int = 0) -> dict[str, Any]:
    from flaml import AutoML

    started = time.perf_counter()
    if d.text:
        x_train, x_test = tfidf(d)
    else:
        x_train, x_test = d.features(d.train), d.features(d.test)
    automl = AutoML()
    task = "regression" if d.task == "regression" else "classification"
    y = d.train[d.target]
    classes = np.asarray(sorted(y.astype(str).unique()))
    if d.task != "regression":  # FLAML encodes labels for a DataFrame, not for a sparse X
        y = pd.Series(np.searchsorted(classes, y.astype(str).to_numpy()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        automl.fit(x_train, y, task=task, time_budget=budget, metric=d.metric,
                   estimator_list="auto", seed=seed, verbose=0, mlflow_logging=False,
                   **({"n_jobs": threads} if threads else {}))
        fitted = time.perf_counter()
        if d.task == "binary":
            column = list(automl.classes_).index(list(classes).index(d.positive))
            out = automl.predict_proba(x_test)[:, column]
        elif d.task == "multiclass":
            out = classes[np.asarray(automl.predict(x_test), dtype=int)]
        else:
            out = automl.predict(x_test)
    wall = time.perf_counter() - started
    trials = getattr(automl, "modelcount", None) or len(automl.config_history)
    return {"metric": test_metric(d, out), "wall_s": wall, "trials": int(trials),
            "best_improvements": len(automl.config_history), "best": automl.best_estimator,
            "best_params": automl.best_config, "cv_best": _flaml_score(automl, d.metric),
            "fit_s": fitted - started, "predict_s": wall - (fitted - started),
            "estimators": list(automl.estimator_list)}


def _flaml_score(automl: Any, metric: str) -> float | None:
    """FLAML minimizes ``best_loss`` (1 - score for a score, the value for an error)."""
    loss = getattr(automl, "best_loss", None)
    if loss is None:
        return None
    return float(1 - loss) if HIGHER[metric] else float(loss)


def run_lightgbm(d: Data, seed: int) -> dict[str, Any]:
    """LightGBM's defaults (``verbose=-1`` only silences it); text columns as categories
    the pandas way LightGBM documents."""
    import lightgbm as lgb

    del seed  # the defaults use no randomness (no bagging, every feature)
    started = time.perf_counter()
    if d.text:
        x_train, x_test = tfidf(d)
    else:
        x_train, x_test = d.features(d.train).copy(), d.features(d.test).copy()
        for column in x_train.columns:
            if not pd.api.types.is_numeric_dtype(x_train[column]):
                kinds = pd.CategoricalDtype(sorted(x_train[column].dropna().unique()))
                x_train[column] = x_train[column].astype(kinds)
                known = x_test[column].isin(kinds.categories)
                x_test[column] = x_test[column].where(known).astype(kinds)
    model: Any = lgb.LGBMRegressor(verbose=-1) if d.task == "regression" \
        else lgb.LGBMClassifier(verbose=-1)
    model.fit(x_train, d.train[d.target])
    fitted = time.perf_counter()
    if d.task == "binary":
        out = model.predict_proba(x_test)[:, list(model.classes_).index(d.positive)]
    else:
        out = model.predict(x_test)
    wall = time.perf_counter() - started
    return {"metric": test_metric(d, out), "wall_s": wall, "trials": 1,
            "best": "lgbm (defaults)", "fit_s": fitted - started,
            "predict_s": wall - (fitted - started)}


# -- summary ----------------------------------------------------------------------------


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"metric": spread([r["metric"] for r in runs], 4),
                           "wall_s": spread([r["wall_s"] for r in runs], 2),
                           "trials": spread([r["trials"] for r in runs], 1),
                           "best": [r["best"] for r in runs]}
    if "embed_s" in runs[0]:
        out["embed_s"] = spread([r["embed_s"] for r in runs], 2)
    out["runs"] = [{k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()}
                   for r in runs]
    return out


def compare(d: Data, tools: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Ratios of medians, oriented so that > 1 means Sluice is better (for RMSE the other
    tool's over Sluice's), and the goals."""
    higher = HIGHER[d.metric]
    ours = tools["sluice"]["metric"]["median"]
    ratios: dict[str, Any] = {"what": "metric: > 1 when Sluice is better (for RMSE the "
                                      "other's / Sluice's); seconds: Sluice's / the other's"}
    goals = {}
    for other in ("flaml", "lightgbm_default"):
        theirs = tools[other]["metric"]["median"]
        ratios[f"metric_vs_{other}"] = round(ours / theirs if higher else theirs / ours, 4)
        ratios[f"seconds_vs_{other}"] = round(
            tools["sluice"]["wall_s"]["median"] / tools[other]["wall_s"]["median"], 2)
        better = ours > theirs if higher else ours < theirs
        goals["sluice_at_least_flaml" if other == "flaml" else "sluice_above_lightgbm_default"] \
            = (better or ours == theirs) if other == "flaml" else better
    return {"ratios": ratios, "goals": goals}


def worker(tool: str, name: str, seed: int, budget: float, threads: int) -> dict[str, Any]:
    """One run, in a fresh process: no state (threads, caches, loaded models) carries from
    one tool or run to the next. ``threads`` > 0 caps every tool's threads (OpenMP for
    LightGBM and XGBoost, FLAML's ``n_jobs``); 0 leaves each tool's default."""
    command = [sys.executable, "-m", "bench.automl", "--worker", tool, name, str(seed),
               str(budget), str(threads), *(["--quick"] if quick() else [])]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False,
                          cwd=ROOT, env=env)
    if done.returncode:
        raise SystemExit(f"{tool} on {name} (seed {seed}) failed: exit {done.returncode}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def run_one(tool: str, name: str, seed: int, budget: float, threads: int) -> dict[str, Any]:
    d = dataset(name, quick())
    if tool == "sluice":
        with tempfile.TemporaryDirectory(prefix="sluice-bench-") as home:
            return run_sluice(d, budget, seed, Embedder(home) if d.text else None, threads)
    if tool == "flaml":
        return run_flaml(d, budget, seed, threads)
    return run_lightgbm(d, seed)


def options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.automl", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_BUDGET:g} s, 1 repeat, sampled rows ({QUICK_ROWS})")
    parser.add_argument("--budget", type=float, default=None,
                        help=f"seconds per search (default {BUDGET:g})")
    parser.add_argument("--repeats", type=int, default=None,
                        help=f"runs per tool and dataset, seeds 0..R-1 (default {REPEATS})")
    parser.add_argument("--datasets", default=",".join(DATASETS),
                        help=f"comma-separated, of {', '.join(DATASETS)}")
    parser.add_argument("--threads", type=int, default=0,
                        help="cap every tool at this many threads (default: each tool's own "
                             "default, all cores)")
    parser.add_argument("--worker", nargs=5,
                        metavar=("TOOL", "DATASET", "SEED", "BUDGET", "THREADS"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    small = quick()
    args.budget = args.budget or (QUICK_BUDGET if small else BUDGET)
    args.repeats = args.repeats or (1 if small else REPEATS)
    args.datasets = [n.strip() for n in args.datasets.split(",") if n.strip()]
    unknown = set(args.datasets) - set(DATASETS)
    if unknown:
        parser.error(f"unknown datasets {sorted(unknown)}; known: {', '.join(DATASETS)}")
    return args


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


INPUTS = {
    "sluice": "the DataFrame; Sluice's recipe decides (numbers, categories as codes, free "
              "text embedded with the bundled all-MiniLM-L6-v2)",
    "flaml": "the DataFrame (FLAML's DataTransformer makes string columns categories); "
             f"for text a TF-IDF matrix (TfidfVectorizer(max_features={TFIDF_FEATURES}), "
             "fitted on the training rows)",
    "lightgbm_default": "the DataFrame with string columns as pandas categories; for text "
                        "the same TF-IDF matrix as FLAML"}


def say(*parts: Any) -> None:
    print(*parts, file=sys.stderr, flush=True)


def main() -> dict[str, Any]:
    args = options()
    if args.worker:
        tool, name, seed, budget, threads = args.worker
        out = run_one(tool, name, int(seed), float(budget), int(threads))
        print(json.dumps(out, default=str), flush=True)
        return out
    small = quick()
    seeds = list(range(args.repeats))
    result: dict[str, Any] = {"budget_s": args.budget, "repeats": args.repeats,
                              "threads": args.threads or None,
                              "inputs": INPUTS, "datasets": {}}
    lines = []
    for name in args.datasets:
        d = dataset(name, small)
        runs: dict[str, list[dict[str, Any]]] = {tool: [] for tool in TOOLS}
        for seed in seeds:  # the tools alternate, so load on the machine falls on all alike
            for tool in TOOLS:
                runs[tool].append(worker(tool, name, seed, args.budget, args.threads))
                r = runs[tool][-1]
                say(f"{name} seed {seed} {tool}: {d.metric} {r['metric']:.4f}, "
                    f"{r['wall_s']:.1f} s, {r['trials']} trial(s), best {r['best']}")
        tools = {tool: summary(runs[tool]) for tool in TOOLS}
        found = {"task": d.task, "metric": d.metric, "higher_is_better": HIGHER[d.metric],
                 "rows_train": len(d.train), "rows_test": len(d.test),
                 "columns": [c for c in d.train.columns if c != d.target],
                 "target": d.target, "tools": tools, **compare(d, tools)}
        result["datasets"][name] = found
        lines.append(ratio_line(name, found))
    result["goals"] = {f"{name}_{goal}": met for name, found in result["datasets"].items()
                       for goal, met in found["goals"].items()}
    result["notes"] = notes(result)
    save("automl", result, settings={
        "budget_s": args.budget, "repeats": args.repeats, "seeds": seeds,
        "split": f"{round(100 * (1 - TEST_SHARE))}/{round(100 * TEST_SHARE)}, seed "
                 f"{SPLIT_SEED}, stratified for classes",
        "quick_rows": QUICK_ROWS if small else None,
        "sluice": "prepare(budget=) + search(budget_seconds, seed) + Scorer.refit(best); "
                  "validation chosen for the budget as a training job does (3-fold CV when "
                  "the table is small for it, else one 20% holdout)",
        "flaml": "AutoML().fit(task, time_budget, metric, estimator_list='auto', seed, "
                 "verbose=0, mlflow_logging=False); defaults otherwise (retrain_full)",
        "lightgbm_default": "LGBMClassifier() / LGBMRegressor() defaults, verbose=-1",
        "anchor_versions": {n: _version(n) for n in ("flaml", "lightgbm", "xgboost-cpu",
                                                     "xgboost", "catboost", "optuna",
                                                     "scikit-learn")},
        "threads": f"{args.threads} for every tool (OMP_NUM_THREADS, FLAML n_jobs)"
                   if args.threads else "every tool's default (all cores)",
        "processes": "each run in a fresh Python process (imports and loading MiniLM not "
                     "timed)"})
    for line in lines:
        print(line, flush=True)
    return result


def ratio_line(name: str, found: dict[str, Any]) -> str:
    t, r, g = found["tools"], found["ratios"], found["goals"]
    m = found["metric"]

    def verdict(met: bool) -> str:
        return "met" if met else "MISSED"

    return (f"{name}: {m} Sluice {t['sluice']['metric']['median']:.4f} "
            f"({t['sluice']['wall_s']['median']:.0f} s, {t['sluice']['trials']['median']:.0f} "
            f"trials), FLAML {t['flaml']['metric']['median']:.4f} "
            f"({t['flaml']['wall_s']['median']:.0f} s, {t['flaml']['trials']['median']:.0f} "
            f"trials), LightGBM default {t['lightgbm_default']['metric']['median']:.4f}; "
            f"Sluice vs FLAML {r['metric_vs_flaml']:.3f}x, vs LightGBM default "
            f"{r['metric_vs_lightgbm_default']:.3f}x (>1: Sluice better); goal Sluice >= "
            f"FLAML {verdict(g['sluice_at_least_flaml'])}, Sluice > LightGBM default "
            f"{verdict(g['sluice_above_lightgbm_default'])}")


def notes(result: dict[str, Any]) -> list[str]:
    loads = [r["model_load_s"] for found in result["datasets"].values()
             for r in found["tools"]["sluice"]["runs"] if r.get("texts_embedded")]
    out = ["FLAML's classification/regression path drops a string column whose every value "
           "differs (flaml/automl/data.py DataTransformer: nunique == rows) and makes other "
           "string columns categories; its text path (task='seq-classification') fine-tunes "
           "a transformer, which needs a model download. So FLAML and LightGBM default get "
           "a TF-IDF matrix for ag_news, and the raw DataFrame elsewhere.",
           "Sluice's seconds include embedding the text (train and test rows, reported "
           "as embed_s) but not loading the MiniLM model once per process "
           f"(median {statistics.median(loads):.1f} s here)." if loads else
           "No text dataset in this run: nothing embedded.",
           "Each run is a fresh process. Where Sluice loads MiniLM, torch sets the OpenMP "
           "threads it shares with LightGBM to half the cores (Sluice's torch_threads "
           "default), so Sluice's LightGBM trials on ag_news run on half the cores, as in a "
           "Sluice process that has embedded text; the other runs use every core.",
           "FLAML trials: AutoML.modelcount (configurations evaluated, all estimators); "
           "best_improvements: len(config_history), the times the best changed.",
           "FLAML's cv_best is 1 - best_loss on its own validation (holdout or CV, chosen "
           "by eval_method='auto'); Sluice's cv_best is its score on the validation it "
           "chose the same way (3-fold CV or one 20% holdout, by table size and budget)."]
    return out


if __name__ == "__main__":
    main()
