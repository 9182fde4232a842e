"""Active learning: a quick model (sentence embeddings + logistic regression with balanced
class weights, warm-started as labels arrive) scores the rows nobody labeled, and a query
strategy orders the queue.

Strategies: ``uncertainty`` (least confident first), ``margin`` (smallest gap between the
top two classes), ``entropy``, ``diversity`` (k-means over the most uncertain rows, one
row per cluster, so one batch does not spend itself on near-duplicates) and ``random``.

Every strategy but random starts cold: while fewer than ``COLD_START`` rows have labels a
model's uncertainty means little, so the queue asks for the most typical row of each of
the largest clusters that no label covers yet (Hacohen et al., "Active learning on a
budget", 2022). On YouTube spam that start alone halves the labels needed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from sluice.core.labels.models import CURVE_STRATEGIES

STRATEGIES = (*CURVE_STRATEGIES, "random")
SHORTLIST = 10  # diversity clusters the count x SHORTLIST most uncertain rows
COLD_START = 20  # labels below which the queue samples typical rows of uncovered clusters
NEIGHBOURS = 20  # typicality: inverse mean distance to this many nearest cluster members
MAX_CLUSTERED = 20_000  # the cold start clusters a sample of this many rows at most


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


def choose(vectors: np.ndarray, candidates: np.ndarray, labelled: np.ndarray,
           probs: np.ndarray | None, strategy: str, count: int, seed: int = 0) -> np.ndarray:
    """Which ``count`` of ``candidates`` (indexes into ``vectors``) to label next, best
    first. ``labelled`` indexes the rows with labels; ``probs`` is the quick model's
    prediction for each candidate (None without a model)."""
    count = max(0, min(count, len(candidates)))
    rng = np.random.default_rng(seed)
    if strategy == "random":
        return candidates[rng.permutation(len(candidates))[:count]]  # type: ignore[no-any-return]
    if probs is None or len(labelled) < COLD_START:
        return typical_of_uncovered(vectors, candidates, labelled, count, seed)
    scores = informativeness(probs, strategy)
    ranked = np.argsort(-scores, kind="stable")
    if strategy == "diversity":  # diverse among the most uncertain (Zhdanov 2019)
        shortlist = ranked[:count * SHORTLIST]
        picked = shortlist[_diverse(vectors[candidates[shortlist]], scores[shortlist],
                                    count, seed)]
        return candidates[picked]  # type: ignore[no-any-return]
    return candidates[ranked[:count]]  # type: ignore[no-any-return]


def typical_of_uncovered(vectors: np.ndarray, candidates: np.ndarray, labelled: np.ndarray,
                         count: int, seed: int) -> np.ndarray:
    """Cluster every row into ``len(labelled) + count`` groups; from the largest groups with
    no labeled row, the candidate in the densest spot (TypiClust)."""
    from sklearn.cluster import MiniBatchKMeans

    rng = np.random.default_rng(seed)
    if count <= 0:
        return np.zeros(0, dtype=np.int64)
    labelled = labelled[:MAX_CLUSTERED // 2]
    sample = rng.choice(candidates, min(MAX_CLUSTERED, len(candidates)), replace=False)
    rows = np.union1d(sample, labelled)
    # without a model past the cold start (one class so far), cap the clusters: cost
    clusters = min(min(len(labelled), COLD_START) + count, len(rows))
    if clusters < 2:
        return candidates[:count]
    groups = MiniBatchKMeans(n_clusters=clusters, random_state=seed, n_init=3,
                             batch_size=1024).fit_predict(vectors[rows])
    covered = set(groups[np.isin(rows, labelled)].tolist())
    sizes = np.bincount(groups, minlength=clusters)
    is_candidate = np.isin(rows, candidates)
    picks: list[int] = []
    for group in np.argsort(-sizes, kind="stable"):
        members = rows[(groups == group) & is_candidate]
        if group in covered or not len(members):
            continue
        picks.append(int(members[np.argmax(_typicality(vectors[members]))]))
        if len(picks) == count:
            break
    rest = np.setdiff1d(candidates, picks)  # too few uncovered groups: top up at random
    return np.concatenate([np.array(picks, dtype=np.int64),
                           rng.permutation(rest)[:count - len(picks)]]).astype(np.int64)


def _typicality(vectors: np.ndarray) -> np.ndarray:
    """Inverse mean distance to the nearest members: high in dense spots."""
    from sklearn.neighbors import NearestNeighbors

    k = min(NEIGHBOURS, len(vectors) - 1)
    if k < 1:
        return np.ones(len(vectors))
    distances, _ = NearestNeighbors(n_neighbors=k + 1).fit(vectors).kneighbors(vectors)
    return 1.0 / (distances[:, 1:].mean(axis=1) + 1e-9)  # type: ignore[no-any-return]


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
        self.model = LogisticRegression(max_iter=500, warm_start=True,
                                        class_weight="balanced")

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
    if batch < 1:
        raise ValueError("batch must be at least 1")
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
        picked = choose(vectors, left, np.array(labelled, dtype=np.int64), probs, strategy,
                        batch, seed + len(labelled))
        labelled.extend(int(i) for i in picked)
        model = quick.fit(vectors[labelled], [labels[i] for i in labelled])
        accuracy = float((model.predict_proba(test).argmax(axis=1) == truth).mean()) \
            if model else 0.0
        curve.append((len(labelled), accuracy))
        if on_step:
            on_step(len(labelled), accuracy)
    return curve
