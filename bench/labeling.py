"""Weak supervision on the YouTube spam comments (Youtube01-04 to develop, Youtube05 to
test), the setting of Snorkel's spam tutorial.

Ten simple labeling functions are made through Sluice's SDK (keyword, regex, SQL and one
Python function), applied to both splits, and the label matrices read back. Then, in the
same run: Sluice's label model, majority vote, and Snorkel's ``LabelModel`` (``pip install
snorkel``) fitted on the development split's matrix and scored on the test split (ties
broken at random, averaged over 20 seeds; no gold labels used for fitting); the same
across all five leave-one-file-out splits; and a classifier (all-MiniLM-L6-v2 embeddings
+ logistic regression, default settings) trained on each method's labels for the rows
some function votes on: hard labels, and probabilities as sample weights.

    python -m bench.labeling
"""

from __future__ import annotations

import os
import tempfile
import time
from typing import Any

import numpy as np
import pandas as pd

from bench.common import save, shared

LABELS = ["ham", "spam"]


def functions(client: Any, dataset: str) -> None:
    """At most ten simple rules (the tutorial's ideas, no NLP models)."""
    lf = client.labels.create_function
    lf(dataset, "spam", "kw_my", "keyword", label="spam", config={"keywords": ["my"]})
    lf(dataset, "spam", "kw_subscribe", "keyword", label="spam",
       config={"keywords": ["subscribe"]})
    lf(dataset, "spam", "link", "regex", label="spam", config={"pattern": "http"})
    lf(dataset, "spam", "kw_please", "keyword", label="spam",
       config={"keywords": ["please", "plz"]})
    lf(dataset, "spam", "kw_song", "keyword", label="ham", config={"keywords": ["song"]})
    lf(dataset, "spam", "check_out", "regex", label="spam", config={"pattern": r"check.*out"})
    lf(dataset, "spam", "kw_channel", "keyword", label="spam",
       config={"keywords": ["channel"]})
    lf(dataset, "spam", "kw_praise", "keyword", label="ham",
       config={"keywords": ["love", "best"]})
    lf(dataset, "spam", "kw_views", "sql", label="ham",
       config={"predicate": "regexp_matches(lower(CONTENT), '\\b(views|billion)\\b')"})
    client.labels.apply(dataset, "spam")

    def short_comment(text: str) -> str | None:
        return "ham" if len(text.split()) < 5 else None

    client.labels.apply_python(dataset, "spam", [short_comment])


def matrices(tmp: str) -> tuple[list[np.ndarray], list[np.ndarray], list[str]]:
    """The label matrix and gold labels of each of the five files, through the SDK."""
    from sluice.platform import Platform
    from sluice.sdk.local import LocalClient
    from sluice.settings import load_settings

    platform = Platform.open(load_settings(home=tmp))
    client = LocalClient(platform, platform.local_context())
    votes, gold, names = [], [], []
    for i, path in enumerate(sorted(shared("youtube_spam").glob("Youtube0*.csv"))):
        frame = pd.read_csv(path)
        name = f"yt{i + 1}"
        records = [{"row": i, "CONTENT": t} for i, t in enumerate(frame.CONTENT)]
        client.datasets.append(name, records)
        client.labels.create_schema(name, "spam", LABELS, column="CONTENT")
        functions(client, name)
        keys, names, matrix = platform.labels.functions.matrix(
            platform.local_context(), name, "spam")
        rows = client.datasets.to_arrow(name).to_pandas().set_index("_key")["row"]
        votes.append(matrix)
        gold.append(frame.label.to_numpy()[rows.loc[keys].to_numpy()])
    client.close()
    return votes, gold, names


def accuracy(scores: np.ndarray, y: np.ndarray) -> float:
    out = []
    for seed in range(20):
        jitter = np.random.default_rng(seed).random(scores.shape) * 1e-9
        tied = np.isclose(scores, scores.max(axis=1, keepdims=True))
        out.append(((scores + jitter * tied).argmax(axis=1) == y).mean())
    return float(np.mean(out))


def methods(train: np.ndarray) -> dict[str, Any]:
    from sluice.core.labels.labelmodel import LabelModel, majority_counts

    fitted: dict[str, Any] = {}
    started = time.perf_counter()
    model = LabelModel(2).fit(train)
    fitted["sluice"] = (model.predict_proba, time.perf_counter() - started)
    fitted["majority vote"] = (lambda v: majority_counts(v, 2), 0.0)
    try:
        from snorkel.labeling.model import LabelModel as SnorkelLabelModel
    except ImportError:
        return fitted
    started = time.perf_counter()
    snorkel = SnorkelLabelModel(cardinality=2, verbose=False)
    snorkel.fit(train, n_epochs=500, log_freq=1000, seed=0, lr=0.01)
    fitted["snorkel"] = (snorkel.predict_proba, time.perf_counter() - started)
    return fitted


def classifier(texts_train: list[str], labels: np.ndarray, texts_test: list[str],
               y_test: np.ndarray, embed: Any) -> float:
    """Logistic regression on embeddings; ``labels`` are classes, or (n, k) probabilities
    (then each row is weighted by them: Snorkel's noise-aware training)."""
    from sklearn.linear_model import LogisticRegression

    x_train, x_test = embed(texts_train), embed(texts_test)
    model = LogisticRegression(max_iter=2000)
    if labels.ndim == 2:
        k = labels.shape[1]
        model.fit(np.repeat(x_train, k, axis=0), np.tile(np.arange(k), len(x_train)),
                  sample_weight=labels.reshape(-1))
    else:
        model.fit(x_train, labels)
    return float((model.predict(x_test) == y_test).mean())


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    with tempfile.TemporaryDirectory() as tmp:
        votes, gold, names = matrices(tmp)
    train, y_train = np.concatenate(votes[:4]), np.concatenate(gold[:4])
    test, y_test = votes[4], gold[4]
    fitted = methods(train)
    result: dict[str, Any] = {"functions": names, "train_rows": len(train),
                              "test_rows": len(test),
                              "test_accuracy": {k: round(accuracy(f(test), y_test), 4)
                                                for k, (f, _) in fitted.items()},
                              "fit_seconds": {k: round(s, 3) for k, (_, s) in fitted.items()}}
    loo: dict[str, list[float]] = {k: [] for k in fitted}
    for hold in range(5):
        rest = np.concatenate([v for i, v in enumerate(votes) if i != hold])
        for name, (predict, _) in methods(rest).items():
            loo[name].append(round(accuracy(predict(votes[hold]), gold[hold]), 4))
    result["leave_one_file_out"] = {k: {"per_file": v, "mean": round(float(np.mean(v)), 4)}
                                    for k, v in loo.items()}
    result["classifier_test_accuracy"] = classifiers(fitted, train, y_train, test, y_test)
    save("labeling", result)


def classifiers(fitted: dict[str, Any], train: np.ndarray, y_train: np.ndarray,
                test: np.ndarray, y_test: np.ndarray) -> dict[str, float]:
    from sluice.models.embedders import get_embedder
    from sluice.settings import load_settings

    files = sorted(shared("youtube_spam").glob("Youtube0*.csv"))
    texts_train = [t for f in files[:4] for t in pd.read_csv(f).CONTENT]
    texts_test = list(pd.read_csv(files[4]).CONTENT)
    embedder = get_embedder("minilm", load_settings(home=tempfile.mkdtemp()))
    cache: dict[int, np.ndarray] = {}

    def embed(texts: list[str]) -> np.ndarray:
        if id(texts) not in cache:
            cache[id(texts)] = np.asarray(embedder.embed(texts))
        return cache[id(texts)]

    out = {"gold labels (upper bound)": round(classifier(texts_train, y_train, texts_test,
                                                         y_test, embed), 4)}
    covered = (train != -1).any(axis=1)
    chosen = [t for t, c in zip(texts_train, covered, strict=True) if c]
    for name, (predict, _) in fitted.items():
        scores = predict(train)[covered]
        out[f"{name}: hard labels"] = round(classifier(
            chosen, scores.argmax(axis=1), texts_test, y_test, embed), 4)
        if name != "majority vote":
            out[f"{name}: probabilistic labels"] = round(classifier(
                chosen, scores, texts_test, y_test, embed), 4)
    return out


if __name__ == "__main__":
    main()
