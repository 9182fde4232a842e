"""Per-function coverage, overlap, conflict and accuracy on people's labels (the figures
Snorkel's LFAnalysis reports), and majority vote's accuracy."""

from __future__ import annotations

import numpy as np

from sluice.core.labels.models import LabelingFunction, LFAnalysis, LFStats

ABSTAIN = -1


def majority(votes: np.ndarray, k: int) -> np.ndarray:
    """Per row the most voted class; -1 with no votes or a tie."""
    counts = np.stack([(votes == c).sum(axis=1) for c in range(k)], axis=1)
    best = counts.argmax(axis=1)
    top = counts.max(axis=1)
    ties = (counts == top[:, None]).sum(axis=1) > 1
    return np.where((top == 0) | ties, ABSTAIN, best)


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
    mv = majority(votes, len(classes)) if votes.size else np.full(n, ABSTAIN)
    judged = has_gold & (mv != ABSTAIN)
    return LFAnalysis(schema_name=schema, rows=n, labeled_by_people=int(has_gold.sum()),
                      functions=stats, coverage=_share((per_row > 0).sum(), n),
                      majority_vote_accuracy=float((mv[judged] == gold_idx[judged]).mean())
                      if judged.any() else None)


def _share(count: int | np.integer, n: int) -> float:
    return float(count) / n if n else 0.0
