"""Weak supervision on the YouTube spam comments (Youtube01-04 to develop, Youtube05 to
test), the setting of Snorkel's spam tutorial.

Ten simple labeling functions are made through Sluice's SDK (keyword, regex, SQL and one
Python function), applied to both splits, and the label matrices read back. Then, in the
same run: Sluice's label model, majority vote, and Snorkel's ``LabelModel`` (``pip install
snorkel``) fitted on the development split's matrix and scored on the test split (ties
broken at random, averaged over 20 seeds; no gold labels used for fitting); the same
across all five leave-one-file-out splits; and a classifier (logistic regression, default
settings, on all-MiniLM-L6-v2 embeddings alone or beside TF-IDF word 1-2 grams) trained on
each method's labels for the rows some function votes on: hard labels, and probabilities
as sample weights.

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


def methods(train: np.ndarray, classes: int = 2) -> dict[str, Any]:
    from sluice.core.labels.labelmodel import LabelModel, majority_counts

    fitted: dict[str, Any] = {}
    started = time.perf_counter()
    model = LabelModel(classes).fit(train)
    fitted["sluice"] = (model.predict_proba, time.perf_counter() - started)
    fitted["majority vote"] = (lambda v: majority_counts(v, classes), 0.0)
    try:
        from snorkel.labeling.model import LabelModel as SnorkelLabelModel
    except ImportError:
        return fitted
    started = time.perf_counter()
    snorkel = SnorkelLabelModel(cardinality=classes, verbose=False)
    snorkel.fit(train, n_epochs=500, log_freq=1000, seed=0, lr=0.01)
    fitted["snorkel"] = (snorkel.predict_proba, time.perf_counter() - started)
    return fitted


def classifier(x_train: Any, labels: np.ndarray, x_test: Any, y_test: np.ndarray) -> float:
    """Logistic regression (defaults); ``labels`` are classes, or (n, k) probabilities
    (then each row is weighted by them: Snorkel's noise-aware training)."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(max_iter=3000)
    if labels.ndim == 2:
        k = labels.shape[1]
        rows = np.repeat(np.arange(x_train.shape[0]), k)
        model.fit(x_train[rows], np.tile(np.arange(k), x_train.shape[0]),
                  sample_weight=labels.reshape(-1))
    else:
        model.fit(x_train, labels)
    return float((model.predict(x_test) == y_test).mean())


def features(texts: list[list[str]], kind: str, train: list[int],
             embedded: list[np.ndarray]) -> list[Any]:
    """Each file's features: sentence embeddings, or embeddings beside TF-IDF of word 1-2
    grams fitted on the ``train`` files."""
    if kind == "embeddings":
        return embedded
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer

    tfidf = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    tfidf.fit([t for i in train for t in texts[i]])
    return [hstack([csr_matrix(e), tfidf.transform(t)]).tocsr()
            for e, t in zip(embedded, texts, strict=True)]


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    with tempfile.TemporaryDirectory() as tmp:
        votes, gold, names = matrices(tmp)
    train = np.concatenate(votes[:4])
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
    result["classifier_test_accuracy"] = classifiers(fitted, votes, gold)
    save("labeling", result)


def classifiers(fitted: dict[str, Any], votes: list[np.ndarray],
                gold: list[np.ndarray]) -> dict[str, dict[str, float]]:
    """Test accuracy of a classifier trained on each method's labels, for two feature
    sets; and, to choose between them without the test file, the mean over the four
    leave-one-development-file-out splits with Sluice's labels."""
    from sluice.core.labels.labelmodel import LabelModel
    from sluice.inference.embedders import get_embedder
    from sluice.settings import load_settings

    files = sorted(shared("youtube_spam").glob("Youtube0*.csv"))
    texts = [list(pd.read_csv(f).CONTENT) for f in files]
    embedder = get_embedder("minilm", load_settings(home=tempfile.mkdtemp()))
    embedded = [np.asarray(embedder.embed(t)) for t in texts]
    out: dict[str, dict[str, float]] = {}
    for kind in ("embeddings", "embeddings + tf-idf"):
        x = features(texts, kind, [0, 1, 2, 3], embedded)
        train, covered = np.concatenate(votes[:4]), (np.concatenate(votes[:4]) != -1).any(1)
        x_train = _stack(x[:4])[covered]
        scores = {"gold labels (upper bound)": round(classifier(
            _stack(x[:4]), np.concatenate(gold[:4]), x[4], gold[4]), 4)}
        for name, (predict, _) in fitted.items():
            probs = predict(train)[covered]
            scores[f"{name}: hard labels"] = round(classifier(
                x_train, probs.argmax(axis=1), x[4], gold[4]), 4)
            if name != "majority vote":
                scores[f"{name}: probabilistic labels"] = round(classifier(
                    x_train, probs, x[4], gold[4]), 4)
        dev = []
        for hold in range(4):
            rest = [i for i in range(4) if i != hold]
            xd = features(texts, kind, rest, embedded)
            v = np.concatenate([votes[i] for i in rest])
            keep = (v != -1).any(axis=1)
            labels = LabelModel(2).fit(v).predict_proba(v).argmax(axis=1)
            dev.append(classifier(_stack([xd[i] for i in rest])[keep], labels[keep],
                                  xd[hold], gold[hold]))
        scores["sluice: hard labels, dev leave-one-file-out mean"] = round(
            float(np.mean(dev)), 4)
        out[kind] = scores
    return out


def _stack(parts: list[Any]) -> Any:
    from scipy.sparse import issparse, vstack

    return vstack(parts).tocsr() if issparse(parts[0]) else np.concatenate(parts)


if __name__ == "__main__":
    main()
