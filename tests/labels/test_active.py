"""Active learning: strategies, the simulated learning curve, and the queue ordered by the
quick model."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from sluice.core.labels.active import choose, informativeness, learning_curve
from sluice.core.labels.vectors import Known, embed_with
from sluice.errors import InvalidInput


def test_strategies_rank_the_uncertain_first() -> None:
    probs = np.array([[0.99, 0.01], [0.55, 0.45], [0.8, 0.2], [0.5, 0.5]])
    for strategy in ("uncertainty", "margin", "entropy"):
        assert list(np.argsort(-informativeness(probs, strategy))[:2]) == [3, 1]
    vectors = np.random.default_rng(0).normal(size=(40, 4))
    labelled = np.arange(4, 40)  # past the cold start
    candidates = np.arange(4)
    assert list(choose(vectors, candidates, labelled, probs, "uncertainty", 2)) == [3, 1]
    assert sorted(choose(vectors, candidates, labelled, probs, "random", 4, seed=1)) == \
        [0, 1, 2, 3]
    assert len(set(choose(vectors, candidates, labelled, probs, "diversity", 3))) == 3


def test_cold_start_asks_for_typical_rows_of_uncovered_clusters() -> None:
    rng = np.random.default_rng(0)
    centres = np.array([[10.0, 0], [0, 10.0], [-10.0, 0]])
    sizes = [60, 40, 20]
    vectors = np.concatenate([c + rng.normal(size=(n, 2)) for c, n in zip(centres, sizes,
                                                                          strict=True)])
    group = np.repeat([0, 1, 2], sizes)
    picked = choose(vectors, np.arange(120), np.array([], dtype=np.int64), None,
                    "uncertainty", 3)
    assert sorted(group[picked]) == [0, 1, 2]  # one from each cluster, largest first
    assert group[picked[0]] == 0
    assert all(np.linalg.norm(vectors[i] - centres[group[i]]) < 1.5 for i in picked)
    covered = np.flatnonzero(group == 0)[:1]  # a label in the big cluster: look elsewhere
    rest = np.setdiff1d(np.arange(120), covered)
    picked = choose(vectors, rest, covered, None, "margin", 2)
    assert sorted(group[picked]) == [1, 2]


def _blobs(n: int, seed: int) -> tuple[np.ndarray, list[str]]:
    """Two classes, mostly easy, with a thin band of hard rows near the boundary."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8))
    y = (x[:, 0] + 0.3 * x[:, 1] > 0).astype(int)
    return x, ["a" if v else "b" for v in y]


def test_uncertainty_needs_fewer_labels_than_random() -> None:
    x, y = _blobs(3000, seed=0)
    test, test_y = _blobs(1000, seed=1)

    def labels_needed(strategy: str) -> int:
        curve = learning_curve(x, y, ["a", "b"], strategy=strategy, test=test,
                               test_labels=test_y, batch=10, budget=300)
        return next((n for n, acc in curve if acc >= 0.97), 10**6)

    assert labels_needed("uncertainty") < labels_needed("random")


def test_queue_follows_the_strategy_and_the_curve(door_client: Any) -> None:
    texts = [f"great song number {i}, love the music" for i in range(15)] + \
            [f"visit my channel {i} and subscribe for free money" for i in range(15)] + \
            ["a song about money", "subscribe to this song", "music channel"]
    door_client.datasets.append("mix", [{"text": t} for t in texts])
    door_client.labels.create_schema("mix", "spam", ["ham", "spam"])
    keys = door_client.datasets.to_arrow("mix").column("_key").to_pylist()
    for i in list(range(12)) + list(range(15, 27)):
        door_client.labels.annotate("mix", "spam", keys[i], label="ham" if i < 15 else "spam")
    queue = door_client.labels.queue("mix", "spam", limit=3, order="uncertainty")
    ambiguous = set(keys[30:])
    assert len({i.key for i in queue.items} & ambiguous) >= 2, [i.text for i in queue.items]
    with pytest.raises(InvalidInput):
        door_client.labels.queue("mix", "spam", order="vibes")
    curve = door_client.labels.learning_curve("mix", "spam", strategy="margin", batch=5)
    assert curve.test_rows == 4 and [n for n, _ in curve.curve] == [5, 10, 15, 20]
    assert len(curve.random) == len(curve.curve)


def test_label_issues_find_flipped_labels(door_client: Any) -> None:
    music = [f"what a beautiful song, the melody and the singer are great {i}"
             for i in range(20)]
    promo = [f"click here to win free money and subscribe to my channel {i}"
             for i in range(20)]
    door_client.datasets.append("flips", [{"text": t} for t in music + promo])
    door_client.labels.create_schema("flips", "spam", ["ham", "spam"])
    keys = door_client.datasets.to_arrow("flips").column("_key").to_pylist()
    flipped = {keys[3], keys[11], keys[25]}
    for i, key in enumerate(keys):
        right = "ham" if i < 20 else "spam"
        wrong = "spam" if right == "ham" else "ham"
        door_client.labels.annotate("flips", "spam", key,
                                    label=wrong if key in flipped else right)
    found = door_client.labels.label_issues("flips", "spam")
    assert found.checked == 40 and found.folds == 5
    suspects = {i.key for i in found.issues}
    assert flipped <= suspects and len(suspects) <= 6
    first = found.issues[0]
    assert first.given != first.suggested and first.quality < 0.5
    door_client.labels.resolve("flips", "spam", keys[3], "ham")
    assert door_client.labels.resolved("flips", "spam")[keys[3]] == "ham"


def test_known_vectors_embed_only_new_texts() -> None:
    calls: list[list[str]] = []

    def embed(texts: list[str]) -> np.ndarray:
        calls.append(texts)
        return np.array([[len(t), t.count("a")] for t in texts], dtype=np.float32)

    vectors, known = embed_with(Known.empty(), ["aa", "b", "aa", "ccc"], embed)
    assert sorted(calls[0]) == ["aa", "b", "ccc"] and len(calls) == 1  # each text once
    assert vectors.tolist() == [[2, 2], [1, 0], [2, 2], [3, 0]]
    assert known is not None
    again, unchanged = embed_with(known, ["ccc", "aa"], embed)
    assert unchanged is None and len(calls) == 1 and again.tolist() == [[3, 0], [2, 2]]
    grown, updated = embed_with(known, ["aa", "dddd"], embed)
    assert calls[-1] == ["dddd"] and grown.tolist() == [[2, 2], [4, 0]]
    assert updated is not None and len(updated.digests) == 2  # only the texts of now


def test_vectors_outlive_versions_and_processes(platform: Any) -> None:
    ctx = platform.local_context()
    platform.appends.append(ctx, "vec", [{"text": f"comment {i}"} for i in range(12)])
    platform.labels.create_schema(ctx, "vec", "spam", ["ham", "spam"])
    table = platform.datasets.to_arrow(ctx, "vec", columns=["_key", "text"])
    first = platform.labels.vectors(ctx, "vec", "spam", table)
    blob = _blob(platform, ctx)
    assert first.shape == (12, 384) and blob is not None
    key = table.column("_key")[0].as_py()
    platform.labels.annotate(ctx, "vec", "spam", key, label="ham")
    platform.labels.finish_session(ctx, "vec", "spam")  # a new version, the same texts
    platform.labels.store.forget()  # as if in another process
    later = platform.datasets.to_arrow(ctx, "vec", columns=["_key", "text"])
    again = platform.labels.vectors(ctx, "vec", "spam", later)
    by_key = dict(zip(later.column("_key").to_pylist(), again, strict=True))
    assert np.allclose(first, [by_key[k] for k in table.column("_key").to_pylist()])
    assert _blob(platform, ctx) == blob  # nothing re-embedded
    assert len(Known.load(platform.blobs, blob).digests) == 12


def _blob(platform: Any, ctx: Any) -> str | None:
    with platform.db.reader() as s:
        return platform.labels.schema_row(s, ctx, "vec", "spam").vectors_blob  # type: ignore[no-any-return]


def test_embedding_job_and_the_queue_waiting_for_it(platform: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import sluice.core.labels.service as service

    ctx = platform.local_context()
    platform.appends.append(ctx, "big", [{"text": f"row number {i}"} for i in range(30)])
    platform.labels.create_schema(ctx, "big", "spam", ["ham", "spam"])
    monkeypatch.setattr(service, "INLINE_EMBED", 10)  # 30 texts count as a large dataset
    queue = platform.labels.queue(ctx, "big", "spam", limit=5, order="uncertainty")
    assert queue.preparing and queue.order == "sequential"
    done = platform.jobs.wait(ctx, queue.preparing, timeout=120)
    assert done.state == "succeeded" and done.result == {"rows": 30, "embedded": 30}
    ready = platform.labels.queue(ctx, "big", "spam", limit=5, order="uncertainty")
    assert ready.preparing is None and ready.order == "uncertainty"
    platform.labels.store.forget()
    nothing_new = platform.jobs.wait(ctx, platform.labels.prepare_vectors(ctx, "big",
                                                                          "spam").id,
                                     timeout=60)
    assert nothing_new.result == {"rows": 30, "embedded": 0}


def test_known_sets_merge_when_two_processes_store() -> None:
    def embed(texts: list[str]) -> np.ndarray:
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)

    _, mine = embed_with(Known.empty(), ["a", "bb"], embed)
    _, theirs = embed_with(Known.empty(), ["bb", "ccc"], embed)
    assert mine is not None and theirs is not None
    both = mine.merge(theirs)
    assert len(both.digests) == 3 and list(both.digests) == sorted(both.digests)
    vectors, nothing_new = embed_with(both, ["ccc", "a"], embed)
    assert nothing_new is None and vectors.tolist() == [[3, 1], [1, 1]]
    assert Known.empty().merge(mine) is mine and mine.merge(Known.empty()) is mine
