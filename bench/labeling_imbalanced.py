"""The label model on an imbalanced set, with and without people's labels.

The YouTube spam comments (all five files, the ten labeling functions of
``bench.labeling``) subsampled to 13% and 30% spam, and as they are (about half spam).
People's labels are simulated by revealing the true class of 100 or 400 random rows; every
method is scored on the other rows (ties broken at random, 20 seeds), in the same run:
majority vote, Sluice's label model unsupervised (the old behaviour), Sluice's label model
given people's labels (``sluice.core.labels.semisupervised``), and Snorkel's
``LabelModel`` given the same information, the class balance of people's labels
(``pip install snorkel``; Snorkel has no way to take the labels themselves). Medians over
five subsamples, with min and max.

    python -m bench.labeling_imbalanced
"""

from __future__ import annotations

import statistics
import tempfile
import time
from typing import Any

import numpy as np

from bench.common import save
from bench.labeling import accuracy, matrices

CASES = [(0.13, 100), (0.13, 400), (0.30, 200), (None, 100), (None, 400)]
SAMPLES = 5


def snorkel(votes: np.ndarray, balance: np.ndarray) -> np.ndarray | None:
    try:
        from snorkel.labeling.model import LabelModel as SnorkelLabelModel
    except ImportError:
        return None
    model = SnorkelLabelModel(cardinality=2, verbose=False)
    model.fit(votes, n_epochs=500, log_freq=1000, seed=0, lr=0.01,
              class_balance=list(balance))
    return model


def one(votes: np.ndarray, truth: np.ndarray, share: float | None, people: int,
        seed: int) -> dict[str, float]:
    from sluice.core.labels.labelmodel import LabelModel, majority_counts
    from sluice.core.labels.semisupervised import fit_label_model

    rng = np.random.default_rng(seed)
    ham, spam = np.flatnonzero(truth == 0), np.flatnonzero(truth == 1)
    if share is not None:
        spam = rng.choice(spam, int(len(ham) * share / (1 - share)), replace=False)
    rows = rng.permutation(np.concatenate([ham, spam]))
    v, y = votes[rows], truth[rows]
    gold = np.full(len(y), -1)
    shown = rng.choice(len(y), people, replace=False)
    gold[shown] = y[shown]
    rest = gold < 0
    started = time.perf_counter()
    fitted = fit_label_model(v, gold, 2)
    out = {"majority vote": accuracy(majority_counts(v[rest], 2), y[rest]),
           "sluice unsupervised": accuracy(LabelModel(2).fit(v).predict_proba(v[rest]),
                                           y[rest]),
           "sluice with people's labels": accuracy(fitted.model.predict_proba(v[rest]),
                                                   y[rest]),
           "sluice fit seconds": time.perf_counter() - started}
    balance = np.bincount(y[shown], minlength=2) + 1.0
    model = snorkel(v, balance / balance.sum())
    if model is not None:
        out["snorkel with people's class balance"] = accuracy(model.predict_proba(v[rest]),
                                                              y[rest])
    return out


def main() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        parts, golds, names = matrices(tmp)
    votes, truth = np.concatenate(parts), np.concatenate(golds)
    cases = []
    for share, people in CASES:
        runs = [one(votes, truth, share, people, seed) for seed in range(SAMPLES)]
        summary = {k: {"median": statistics.median(r[k] for r in runs),
                       "min": min(r[k] for r in runs), "max": max(r[k] for r in runs)}
                   for k in runs[0]}
        cases.append({"spam_share": share if share is not None else float(truth.mean()),
                      "people": people, "results": summary})
    result = {"functions": names, "samples": SAMPLES, "cases": cases}
    save("labeling_imbalanced", result)
    return result


if __name__ == "__main__":
    main()
