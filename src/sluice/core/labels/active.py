"""Active learning: a quick model (sentence embeddings + logistic regression, warm-started
as labels arrive) scores the rows nobody labeled, and a query strategy orders the queue.

Strategies: ``uncertainty`` (least confident first), ``margin`` (smallest gap between the
top two classes), ``entropy``, ``diversity`` (k-means over the most uncertain rows, one
row per cluster, so one batch does not spend itself on near-duplicates) and ``random``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

STRATEGIES = ("uncertainty", "margin", "entropy", "diversity", "random")
SHORTLIST = 10  # diversity clusters the count x SHORTLIST most uncertain rows


def informativeness(probs: np.ndarray, strategy: str) -> np.ndarray:
    """Higher is more worth labeling next."""
    if strategy == "uncertainty":
        return 1.0 - probs.max(axis=1)  # type: ignore[no-any-return]
    if strategy == "margin":
        top = np.sort(probs, axis=1)
        return -(top[:, -1] - top[:, -2])  # type: ignore[no-any-return]
    if strategy in ("entropy", "diversity"):
        return -(probs * np.log(np.clip(probs, 1e-12, 1))).sum(axis=1)  # type: ignore[no-any-return]
    raise ValueError(f"unknown strategy {strategy!r}")


def choose(vectors: np.ndarray, probs: np.ndarray | None, strategy: str, count: int,
           seed: int = 0) -> np.ndarray:
    """Indexes (into ``vectors``) of the ``count`` rows to label next, best first.

    Without a model yet (``probs`` None) every strategy starts from a diverse sample.
    """
    n = len(vectors)
    count = min(count, n)
    rng = np.random.default_rng(seed)
    if strategy == "random":
        return rng.permutation(n)[:count]
    if probs is None:
        return _diverse(vectors, np.zeros(n), count, seed)
    scores = informativeness(probs, strategy)
    if strategy == "diversity":  # diverse among the most uncertain (Zhdanov 2019)
        shortlist = np.argsort(-scores, kind="stable")[:count * SHORTLIST]
        return shortlist[_diverse(vectors[shortlist], scores[shortlist], count, seed)]  # type: ignore[no-any-return]
    return np.argsort(-scores, kind="stable")[:count]


def _diverse(vectors: np.ndarray, scores: np.ndarray, count: int, seed: int) -> np.ndarray:
    """The best-scoring row of each of ``count`` k-means clusters, best clusters first."""
    from sklearn.cluster import MiniBatchKMeans

    clusters = min(count, len(vectors))
    if clusters <= 1:
        return np.argsort(-scores)[:count]
    labels = MiniBatchKMeans(n_clusters=clusters, random_state=seed, n_init=3,
                             batch_size=1024).fit_predict(vectors)
    picks = []
    for c in range(clusters):
        members = np.flatnonzero(labels == c)
        if len(members):
            picks.append(members[np.argmax(scores[members])])
    order = np.array(sorted(picks, key=lambda i: -scores[i]), dtype=np.int64)
    if len(order) < count:  # empty clusters: top up with the best remaining rows
        rest = [i for i in np.argsort(-scores) if i not in set(order)]
        order = np.concatenate([order, np.array(rest[:count - len(order)], dtype=np.int64)])
    return order[:count]


class QuickModel:
    """Logistic regression on embeddings, warm-started from the previous fit."""

    def __init__(self, classes: Sequence[str]) -> None:
        from sklearn.linear_model import LogisticRegression

        self.classes = list(classes)
        self.model = LogisticRegression(max_iter=500, warm_start=True)

    def fit(self, vectors: np.ndarray, labels: Sequence[str]) -> QuickModel | None:
        """None while fewer than two classes have labels (nothing to learn yet)."""
        y = np.array([self.classes.index(x) for x in labels])
        if len(set(y.tolist())) < 2:
            return None
        self.model.fit(vectors, y)
        return self

    def predict_proba(self, vectors: np.ndarray) -> np.ndarray:
        """(n, len(classes)) probabilities, zero for classes not seen in training."""
        out = np.zeros((len(vectors), len(self.classes)))
        out[:, self.model.classes_] = self.model.predict_proba(vectors)
        return out


def learning_curve(vectors: np.ndarray, labels: Sequence[str], classes: Sequence[str], *,
                   strategy: str, test: np.ndarray, test_labels: Sequence[str],
                   batch: int = 10, budget: int | None = None, seed: int = 0,
                   on_step: Callable[[int, float], None] | None = None
                   ) -> list[tuple[int, float]]:
    """Simulate labeling ``vectors`` with ``labels`` as the oracle, ``batch`` rows at a
    time chosen by ``strategy``; after each batch, the quick model's accuracy on ``test``."""
    labelled: list[int] = []
    pool = np.arange(len(vectors))
    truth = np.array([list(classes).index(x) for x in test_labels])
    curve: list[tuple[int, float]] = []
    quick = QuickModel(classes)
    model: QuickModel | None = None
    budget = min(budget or len(vectors), len(vectors))
    while len(labelled) < budget:
        left = np.setdiff1d(pool, labelled, assume_unique=True)
        probs = model.predict_proba(vectors[left]) if model else None
        picked = left[choose(vectors[left], probs, strategy, batch, seed + len(labelled))]
        labelled.extend(int(i) for i in picked)
        model = quick.fit(vectors[labelled], [labels[i] for i in labelled])
        accuracy = float((model.predict_proba(test).argmax(axis=1) == truth).mean()) \
            if model else 0.0
        curve.append((len(labelled), accuracy))
        if on_step:
            on_step(len(labelled), accuracy)
    return curve
