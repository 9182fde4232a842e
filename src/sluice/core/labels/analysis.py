"""Per-function coverage, overlap, conflict and accuracy on people's labels (the figures
Snorkel's LFAnalysis reports), and majority vote's accuracy."""

from __future__ import annotations

import numpy as np

from sluice.core.labels.labelmodel import majority_counts, tie_accuracy
from sluice.core.labels.models import LabelingFunction, LFAnalysis, LFStats

ABSTAIN = -1


def analyse(schema: str, classes: list[str], keys: list[str],
            functions: list[LabelingFunction], votes: np.ndarray, gold: dict[str, str],
            failures: list[int]) -> LFAnalysis:
    n = len(keys)
    fired = votes != ABSTAIN
    per_row = fired.sum(axis=1)
    gold_idx = np.array([classes.index(gold[k]) if gold.get(k) in classes else ABSTAIN
                         for k in keys], dtype=np.int64)
    has_gold = gold_idx != ABSTAIN
    stats = []
    for j, fn in enumerate(functions):
        mine = fired[:, j]
        others = np.delete(votes, j, axis=1)
        conflict = mine & ((others != ABSTAIN) & (others != votes[:, [j]])).any(axis=1)
        checked = mine & has_gold
        correct = int((votes[checked, j] == gold_idx[checked]).sum())
        stats.append(LFStats(
            name=fn.name, kind=fn.kind,
            polarity=sorted({classes[c] for c in np.unique(votes[mine, j])}),
            coverage=_share(mine.sum(), n), overlap=_share((mine & (per_row > 1)).sum(), n),
            conflict=_share(conflict.sum(), n), failures=failures[j], correct=correct,
            incorrect=int(checked.sum()) - correct,
            accuracy=correct / int(checked.sum()) if checked.any() else None))
    return LFAnalysis(schema_name=schema, rows=n, labeled_by_people=int(has_gold.sum()),
                      functions=stats, coverage=_share((per_row > 0).sum(), n),
                      majority_vote_accuracy=majority_accuracy(votes, gold_idx, len(classes)))


def majority_accuracy(votes: np.ndarray, gold: np.ndarray, k: int) -> float | None:
    """Majority vote's accuracy on the rows people labeled, ties and rows without votes
    broken at random as Snorkel scores it (the label model report gives the same figure);
    None before anyone labeled."""
    rows = gold != ABSTAIN
    if not rows.any() or not votes.size:
        return None
    return tie_accuracy(majority_counts(votes[rows], k), gold[rows])


def _share(count: int | np.integer, n: int) -> float:
    return float(count) / n if n else 0.0
