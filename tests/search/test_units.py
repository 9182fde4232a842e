"""The splitter, the vector index and rank fusion on their own."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from sluice.core.search.ranking import highlight_spans, query_terms, reciprocal_rank_fusion
from sluice.core.search.vectors import EXACT_MAX, VectorIndex
from sluice.core.views.chunking import ChunkSpec, chunk_text, count_tokens
from sluice.errors import InvalidInput

DOC = """# Guide

Intro paragraph about the guide.

## Install

Run the installer. It takes a minute.

```python
# not a heading, inside a fence
print("hi")
```

## Use

""" + "Words go here and there. " * 60


def test_chunks_follow_headings_and_keep_offsets():
    chunks = chunk_text(DOC, ChunkSpec(size=40, overlap=8))
    assert [c.heading for c in chunks[:2]] == ["Guide", "Guide > Install"]
    assert all(DOC[c.start:c.end] == c.text for c in chunks)
    assert all(c.tokens <= 40 for c in chunks)
    assert not any("not a heading" in c.heading for c in chunks)
    use = [c for c in chunks if c.heading == "Guide > Use"]
    assert len(use) > 3 and use[1].start < use[0].end  # overlap carries words over


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=3000),
       st.integers(8, 64), st.integers(0, 4))
def test_any_text_is_covered_by_bounded_chunks(text, size, overlap):
    chunks = chunk_text(text, ChunkSpec(size, overlap))
    assert all(text[c.start:c.end] == c.text and c.text.strip() for c in chunks)
    assert all(c.tokens <= size for c in chunks)
    assert sum(c.tokens for c in chunks) >= count_tokens(text)  # nothing dropped


@pytest.mark.parametrize(("size", "overlap"), [(4, 0), (100, 80), (10_000, 0)])
def test_bad_chunk_specs_are_refused(size, overlap):
    with pytest.raises(InvalidInput):
        ChunkSpec(size, overlap)


def _unit(n, dim, seed=0):
    x = np.random.default_rng(seed).normal(size=(n, dim)).astype("float32")
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_vector_index_grows_into_hnsw_and_keeps_recall():
    x = _unit(EXACT_MAX + 3000, 32)
    ids = np.arange(len(x), dtype=np.int64) * 3 + 11
    index = VectorIndex(32)
    index.add(ids[:1000], x[:1000])
    assert index.kind == "exact"
    index.add(ids[1000:], x[1000:])
    assert index.kind == "hnsw"
    queries = _unit(200, 32, seed=1)
    truth = np.argsort(-(queries @ x.T), axis=1)[:, :10]
    found = index.search(queries, 10).ids
    recall = np.mean([len(set(ids[t]) & set(f)) / 10 for t, f in zip(truth, found, strict=True)])
    assert recall >= 0.9


def test_vector_index_deletes_filters_and_persists():
    x = _unit(500, 16)
    ids = np.arange(500, dtype=np.int64) + 1000
    index = VectorIndex(16)
    index.add(ids, x)
    assert index.search(x[:1], 1).ids[0, 0] == 1000
    assert index.remove(ids[:1]) == 1
    assert index.search(x[:1], 1).ids[0, 0] != 1000
    allowed = ids[100:110]
    assert set(index.search(x[:1], 5, allowed=allowed).ids[0]) <= set(allowed)
    index.remove(ids[:300])  # past the dead fraction: rebuilt from live vectors
    assert len(index.alive) == index.size == 200
    copy = VectorIndex.from_bytes(index.to_bytes())
    assert copy.size == 200 and (copy.search(x[400:401], 1).ids == [[1400]]).all()
    with pytest.raises(InvalidInput):
        index.add(ids[:1], _unit(1, 8))


def test_fusion_and_highlights():
    ids, scores = reciprocal_rank_fusion(np.array([1, 2, 3]), np.array([3, 1, 4]))
    assert ids.tolist()[:2] == [1, 3] and scores[0] > scores[-1]
    assert query_terms("How do I steep the Tea?") == ["steep", "tea", "do"]
    text = "Steeping tea: steep green tea."
    assert [text[s:e] for s, e in highlight_spans(text, ["steep", "tea"])] == [
        "Steeping", "tea", "steep", "tea"]
