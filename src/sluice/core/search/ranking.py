"""Fusing ranked lists, and finding query terms in chunk text."""

from __future__ import annotations

import re

import numpy as np

RRF_K = 60
_WORD = re.compile(r"\w+", re.UNICODE)
_STOP = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "how", "i",
    "in", "is", "it", "its", "of", "on", "or", "that", "the", "this", "to", "was", "were",
    "what", "when", "where", "which", "who", "why", "will", "with",
})
MAX_HIGHLIGHTS = 20


def reciprocal_rank_fusion(*lists: np.ndarray, k: int = RRF_K) -> tuple[np.ndarray, np.ndarray]:
    """Ids ordered by the sum of 1/(k + rank) over the lists they appear in."""
    scores: dict[int, float] = {}
    for ids in lists:
        for rank, i in enumerate(ids.tolist(), start=1):
            scores[i] = scores.get(i, 0.0) + 1.0 / (k + rank)
    ordered = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    return (np.array([i for i, _ in ordered], dtype=np.int64),
            np.array([s for _, s in ordered], dtype=np.float32))


def query_terms(query: str) -> list[str]:
    terms = {w.lower() for w in _WORD.findall(query) if len(w) > 1}
    return sorted(terms - _STOP, key=len, reverse=True)


def highlight_spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Character spans of whole-word (prefix) matches of ``terms`` in ``text``."""
    if not terms:
        return []
    pattern = re.compile(r"\b(" + "|".join(re.escape(t) for t in terms) + r")\w*",
                         re.IGNORECASE)
    return [(m.start(), m.end()) for m in pattern.finditer(text)][:MAX_HIGHLIGHTS]
