"""Near-duplicate texts with MinHash and locality-sensitive hashing (datasketch)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datasketch import MinHash

NUM_PERM = 64
SHINGLE = 5
_WORD = re.compile(r"\w+")


def _minhash(text: str) -> MinHash | None:
    from datasketch import MinHash

    words = _WORD.findall(text.lower())
    if len(words) < SHINGLE:
        return None
    m = MinHash(num_perm=NUM_PERM)
    shingles = {" ".join(words[i:i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}
    m.update_batch([s.encode() for s in shingles])
    return m


def near_duplicate_groups(
    items: list[tuple[str, str]], *, threshold: float = 0.8, max_groups: int = 50
) -> dict[str, Any]:
    """Groups of keys whose texts are near-duplicates (estimated Jaccard >= threshold).

    ``items`` are (key, text) pairs. Texts shorter than five words are not compared.
    """
    from datasketch import MinHashLSH  # imports scipy: only when a report runs

    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    hashes: dict[str, MinHash] = {}
    parent: dict[str, str] = {}
    for key, text in items:
        m = _minhash(text or "")
        if m is None:
            continue
        for other in lsh.query(m):
            _union(parent, key, other)
        lsh.insert(key, m)
        hashes[key] = m
    groups = _groups(parent)
    return {
        "method": f"minhash-lsh (num_perm={NUM_PERM}, {SHINGLE}-word shingles)",
        "threshold": threshold,
        "rows_compared": len(hashes),
        "rows_in_groups": sum(len(g) for g in groups),
        "group_count": len(groups),
        "groups": groups[:max_groups],
    }


def _find(parent: dict[str, str], x: str) -> str:
    parent.setdefault(x, x)
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def _union(parent: dict[str, str], a: str, b: str) -> None:
    ra, rb = _find(parent, a), _find(parent, b)
    if ra != rb:
        parent[max(ra, rb)] = min(ra, rb)


def _groups(parent: dict[str, str]) -> list[list[str]]:
    by_root: dict[str, list[str]] = {}
    for key in parent:
        by_root.setdefault(_find(parent, key), []).append(key)
    return sorted((sorted(g) for g in by_root.values() if len(g) > 1), key=lambda g: (-len(g), g))
