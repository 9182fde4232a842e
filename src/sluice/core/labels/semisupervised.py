"""The label model with the rows people labeled: its setting chosen out of fold.

People's labels tell the label model what votes cannot: how common each class is (on a
set that is 13% spam, equal priors send every row the spam rules miss a little toward
spam) and what each function's votes mean (labeled rows keep their class through EM).
Neither always helps: on a balanced set a small sample of people's labels can tilt the
prior away from the truth. So a few settings, the unsupervised default among them, are
scored on people's rows out of fold (each fold fitted without its own labels); the
default stays unless another beats it by more than one standard error. The accuracy
reported is the chosen setting's out-of-fold accuracy, never a score on rows the model
was fitted on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sluice.core.labels.labelmodel import LabelModel, tie_accuracy

MIN_PEOPLE = 30
FOLDS = 3


@dataclass(frozen=True)
class Setting:
    name: str
    people_balance: bool = False
    anchored: bool = False
    prior_weight: float = 0.5
    abstain_weight: float = 0.25


UNSUPERVISED = Setting("unsupervised")
SETTINGS = (
    UNSUPERVISED,
    Setting("people's class balance and labels", people_balance=True, anchored=True),
    Setting("people's class balance and labels, weak prior", people_balance=True,
            anchored=True, prior_weight=0.1),
    Setting("people's labels", anchored=True, prior_weight=0.1),
    Setting("people's class balance and labels, full abstain evidence", people_balance=True,
            anchored=True, abstain_weight=1.0),
)


@dataclass
class Fitted:
    model: LabelModel
    setting: Setting
    accuracy: float | None  # on people's rows, out of fold where their labels were used
    people: int


def fit_label_model(votes: np.ndarray, gold: np.ndarray, k: int) -> Fitted:
    """The label model for ``votes`` given people's classes ``gold`` (-1: none)."""
    labeled = np.flatnonzero(gold >= 0)
    if len(labeled) < MIN_PEOPLE or len(np.unique(gold[labeled])) < 2:
        model = LabelModel(k).fit(votes)
        accuracy = (tie_accuracy(model.predict_proba(votes[labeled]), gold[labeled])
                    if len(labeled) else None)
        return Fitted(model, UNSUPERVISED, accuracy, len(labeled))
    folds = np.array_split(np.random.default_rng(0).permutation(labeled), FOLDS)
    scores = {s: _out_of_fold(s, votes, gold, folds, k) for s in SETTINGS}
    best = max(SETTINGS, key=lambda s: scores[s])
    base = scores[UNSUPERVISED]
    margin = math.sqrt(base * (1 - base) / len(labeled))
    chosen = best if scores[best] - base > margin else UNSUPERVISED
    return Fitted(_fit(chosen, votes, gold, k), chosen, scores[chosen], len(labeled))


def _fit(setting: Setting, votes: np.ndarray, gold: np.ndarray, k: int) -> LabelModel:
    balance = None
    if setting.people_balance:
        balance = np.bincount(gold[gold >= 0], minlength=k) + 1.0  # add-one smoothing
    model = LabelModel(k, prior_weight=setting.prior_weight,
                       abstain_weight=setting.abstain_weight, class_balance=balance)
    return model.fit(votes, gold if setting.anchored else None)


def _out_of_fold(setting: Setting, votes: np.ndarray, gold: np.ndarray,
                 folds: list[np.ndarray], k: int) -> float:
    if not setting.people_balance and not setting.anchored:
        every = np.concatenate(folds)
        return tie_accuracy(_fit(setting, votes, gold, k).predict_proba(votes[every]),
                            gold[every])
    right = 0.0
    for fold in folds:
        hidden = gold.copy()
        hidden[fold] = -1
        probs = _fit(setting, votes, hidden, k).predict_proba(votes[fold])
        right += tie_accuracy(probs, gold[fold]) * len(fold)
    return right / sum(len(f) for f in folds)
