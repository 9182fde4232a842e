"""The label model against majority vote and the truth: synthetic functions with known
accuracies, and the YouTube spam comments (../shared/data)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from sluice.core.labels.labelmodel import ABSTAIN, LabelModel, majority_counts
from tests.conftest import shared_data


def _synthetic(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Single-polarity rules, as people write them: (votes, truth, true accuracies)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    # (class voted, P(fire | that class), P(fire | the other class))
    rules = [(1, 0.40, 0.02), (1, 0.30, 0.10), (1, 0.25, 0.20), (1, 0.50, 0.05),
             (0, 0.35, 0.03), (0, 0.30, 0.15), (0, 0.45, 0.25), (0, 0.20, 0.01)]
    votes = np.full((n, len(rules)), ABSTAIN)
    accuracy = []
    for j, (c, p_own, p_other) in enumerate(rules):
        fire = rng.random(n) < np.where(y == c, p_own, p_other)
        votes[fire, j] = c
        accuracy.append(p_own / (p_own + p_other))
    return votes, y, np.array(accuracy)


def _accuracy(probs: np.ndarray, y: np.ndarray, seed: int = 0) -> float:
    """Accuracy with ties broken at random (as Snorkel's ``tie_break_policy="random"``)."""
    jitter = np.random.default_rng(seed).random(probs.shape) * 1e-9
    return float(((probs + jitter).argmax(axis=1) == y).mean())


def test_beats_majority_vote_and_ranks_the_functions() -> None:
    votes, y, truth = _synthetic(20_000, seed=1)
    model = LabelModel(2).fit(votes)
    lm = _accuracy(model.predict_proba(votes), y)
    mv = _accuracy(majority_counts(votes, 2), y)
    assert lm > mv + 0.02, (lm, mv)
    estimated = model.accuracies(votes)
    assert np.corrcoef(estimated, truth)[0, 1] > 0.8
    assert model.predict_proba(votes).sum(axis=1) == pytest.approx(np.ones(len(y)))


def test_rejects_bad_vote_matrices() -> None:
    with pytest.raises(ValueError):
        LabelModel(2).fit(np.array([[0, 2]]))
    with pytest.raises(ValueError):
        LabelModel(2).fit(np.array([0, 1]))


SPAM, HAM = 1, 0


def _youtube_functions() -> dict[str, object]:
    def words(*ws: str, label: int) -> object:
        pattern = re.compile(r"\b(" + "|".join(ws) + r")\b", re.IGNORECASE)
        return lambda t: label if pattern.search(t) else ABSTAIN

    return {"my": words("my", label=SPAM), "subscribe": words("subscribe", label=SPAM),
            "link": lambda t: SPAM if "http" in t.lower() else ABSTAIN,
            "please": words("please", "plz", label=SPAM), "song": words("song", label=HAM),
            "check_out": lambda t: SPAM if re.search(r"check.*out", t, re.I) else ABSTAIN,
            "short": lambda t: HAM if len(t.split()) < 5 else ABSTAIN,
            "channel": words("channel", label=SPAM), "love": words("love", "best", label=HAM),
            "views": words("views", "billion", label=HAM)}


def test_youtube_spam_at_least_as_good_as_majority_vote() -> None:
    import pandas as pd

    folder = shared_data("youtube_spam")
    files = sorted(folder.glob("Youtube0*.csv"))
    train = pd.concat([pd.read_csv(f) for f in files[:4]])
    test = pd.read_csv(files[4])
    functions = list(_youtube_functions().values())

    def matrix(texts: list[str]) -> np.ndarray:
        return np.array([[f(t) for f in functions] for t in texts])  # type: ignore[operator]

    model = LabelModel(2).fit(matrix(list(train.CONTENT)))
    test_votes = matrix(list(test.CONTENT))
    y = test.label.to_numpy()
    lm = np.mean([_accuracy(model.predict_proba(test_votes), y, s) for s in range(10)])
    mv = np.mean([_accuracy(majority_counts(test_votes, 2), y, s) for s in range(10)])
    assert lm >= mv and lm > 0.86, (lm, mv)


def _youtube_votes() -> tuple[np.ndarray, np.ndarray]:
    import pandas as pd

    frame = pd.concat([pd.read_csv(f) for f in
                       sorted(shared_data("youtube_spam").glob("Youtube0*.csv"))])
    functions = list(_youtube_functions().values())
    votes = np.array([[f(t) for f in functions] for t in frame.CONTENT])  # type: ignore[operator]
    return votes, frame.label.to_numpy()


def _people(votes: np.ndarray, y: np.ndarray, spam_share: float | None, people: int,
            seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A subsample with ``spam_share`` spam, and ``people`` rows whose class people gave."""
    rng = np.random.default_rng(seed)
    ham, spam = np.flatnonzero(y == HAM), np.flatnonzero(y == SPAM)
    if spam_share is not None:
        spam = rng.choice(spam, int(len(ham) * spam_share / (1 - spam_share)), replace=False)
    rows = rng.permutation(np.concatenate([ham, spam]))
    gold = np.full(len(rows), -1)
    shown = rng.choice(len(rows), people, replace=False)
    gold[shown] = y[rows][shown]
    return votes[rows], y[rows], gold


def test_peoples_labels_fix_the_label_model_on_imbalanced_data() -> None:
    """A held-back-style set: 13% spam, 400 rows labeled by people. Unsupervised, equal
    priors push the rows the rules miss toward spam; with people's labels the model learns
    the balance and beats majority vote on the rows nobody labeled."""
    from sluice.core.labels.semisupervised import UNSUPERVISED, fit_label_model

    votes, y = _youtube_votes()
    for seed in range(3):
        v, truth, gold = _people(votes, y, 0.13, 400, seed)
        rest = gold < 0
        fitted = fit_label_model(v, gold, 2)
        assert fitted.setting != UNSUPERVISED and fitted.people == 400
        assert fitted.model.class_balance_()[SPAM] < 0.2
        new = _accuracy(fitted.model.predict_proba(v[rest]), truth[rest])
        mv = np.mean([_accuracy(majority_counts(v[rest], 2), truth[rest], s)
                      for s in range(10)])
        old = _accuracy(LabelModel(2).fit(v).predict_proba(v[rest]), truth[rest])
        assert new > 0.9 and new > mv + 0.05 and new > old + 0.15, (new, mv, old)
        assert fitted.accuracy is not None and abs(fitted.accuracy - new) < 0.05


def test_balanced_data_and_no_people_keep_the_unsupervised_model() -> None:
    from sluice.core.labels.semisupervised import UNSUPERVISED, fit_label_model

    votes, y = _youtube_votes()
    v, truth, gold = _people(votes, y, None, 200, seed=0)
    fitted = fit_label_model(v, gold, 2)
    assert fitted.setting == UNSUPERVISED  # people's small sample would only add noise
    rest = gold < 0
    assert _accuracy(fitted.model.predict_proba(v[rest]), truth[rest]) > 0.85
    none = fit_label_model(v, np.full(len(v), -1), 2)
    assert none.setting == UNSUPERVISED and none.accuracy is None and none.people == 0
    assert np.allclose(none.model.predict_proba(v), LabelModel(2).fit(v).predict_proba(v))

