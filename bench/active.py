"""Active learning on the YouTube spam comments: how many labels the quick model
(all-MiniLM-L6-v2 embeddings + logistic regression, as the annotation queue uses it) needs
to reach 95% of the accuracy of training on every label, when the queue picks rows by each
strategy vs in random order. Pool: Youtube01-04 (1,586 comments, gold labels as the
oracle); scored on Youtube05; batches of 10; mean over 20 seeds. The tool a user would
otherwise pick (modAL, or Label Studio Enterprise's active learning) wraps the same
scikit-learn loop, so random order is the baseline here.

    python -m bench.active
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

import numpy as np
import pandas as pd

from bench.common import quick, save, shared

SEEDS = int(os.environ.get("BENCH_SEEDS", "4" if quick() else "20"))
BATCH = int(os.environ.get("BENCH_BATCH", "10"))


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sklearn.linear_model import LogisticRegression

    from sluice.core.labels.active import learning_curve
    from sluice.inference.embedders import get_embedder
    from sluice.settings import load_settings

    files = sorted(shared("youtube_spam").glob("Youtube0*.csv"))
    pool = pd.concat([pd.read_csv(f) for f in files[:4]])
    test = pd.read_csv(files[4])
    embedder = get_embedder("minilm", load_settings(home=tempfile.mkdtemp()))
    x_pool = np.asarray(embedder.embed(list(pool.CONTENT)))
    x_test = np.asarray(embedder.embed(list(test.CONTENT)))
    y_pool = ["spam" if v else "ham" for v in pool.label]
    y_test = ["spam" if v else "ham" for v in test.label]
    full = LogisticRegression(max_iter=500).fit(x_pool, y_pool)
    full_accuracy = float((full.predict(x_test) == np.array(y_test)).mean())
    target = 0.95 * full_accuracy
    result: dict[str, Any] = {"pool": len(x_pool), "test": len(x_test),
                              "full_training_accuracy": round(full_accuracy, 4),
                              "target_accuracy": round(target, 4), "batch": BATCH,
                              "labels_needed": {}}
    for strategy in ("random", "uncertainty", "margin", "entropy", "diversity"):
        needed = []
        for seed in range(SEEDS):
            curve = learning_curve(x_pool, y_pool, ["ham", "spam"], strategy=strategy,
                                   test=x_test, test_labels=y_test, batch=BATCH,
                                   budget=600, seed=seed)
            needed.append(next((n for n, acc in curve if acc >= target), 10**6))
        result["labels_needed"][strategy] = {"per_seed": needed,
                                             "mean": float(np.mean(needed))}
    base = result["labels_needed"]["random"]["mean"]
    result["share_of_random"] = {k: round(v["mean"] / base, 3)
                                 for k, v in result["labels_needed"].items()}
    save("active", result)


if __name__ == "__main__":
    main()
