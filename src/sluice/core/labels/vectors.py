"""Embeddings of the text a label schema shows, kept so that the queue's quick model, the
learning curve and the search for label errors do not embed a dataset again after every
labeling session (each one makes a new version, with the same texts).

One blob per schema holds each distinct text's digest and its vector; a new version
embeds only the texts the blob does not have, then stores the vectors of the texts it
has now (so the blob never outgrows the dataset).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from sluice.storage.blobs import BlobStore

EMBEDDER = "minilm"
BATCH = 256


@dataclass
class Known:
    digests: np.ndarray  # (n,) S16 text digests, sorted
    vectors: np.ndarray  # (n, dim) float32

    @classmethod
    def empty(cls) -> Known:
        return cls(np.zeros(0, dtype="S16"), np.zeros((0, 0), dtype=np.float32))

    @classmethod
    def load(cls, blobs: BlobStore, digest: str | None) -> Known:
        if digest is None or not blobs.exists(digest):
            return cls.empty()
        with np.load(io.BytesIO(blobs.read(digest)), allow_pickle=False) as f:
            return cls(f["digests"], f["vectors"])

    def save(self, blobs: BlobStore) -> str:
        out = io.BytesIO()
        np.savez(out, digests=self.digests, vectors=self.vectors)
        return blobs.put_bytes(out.getvalue())

    def merge(self, other: Known) -> Known:
        """Both sets' vectors (this one's where both have a text)."""
        if not len(other.digests):
            return self
        if not len(self.digests):
            return other
        if other.vectors.shape[1] != self.vectors.shape[1]:
            return self
        new = self.lookup(other.digests) < 0
        digests = np.concatenate([self.digests, other.digests[new]])
        vectors = np.concatenate([self.vectors, other.vectors[new]])
        order = np.argsort(digests, kind="stable")
        return Known(digests[order], vectors[order])

    def lookup(self, digests: np.ndarray) -> np.ndarray:
        """Position of each digest in this set, -1 where absent."""
        if not len(self.digests):
            return np.full(len(digests), -1)
        at = np.clip(np.searchsorted(self.digests, digests), 0, len(self.digests) - 1)
        return np.where(self.digests[at] == digests, at, -1)


def content_key(texts: Sequence[str]) -> str:
    """A digest of the texts in order (what an in-memory copy of their vectors is for)."""
    return hashlib.blake2b(text_digests(texts).tobytes(), digest_size=16).hexdigest()


def text_digests(texts: Sequence[str]) -> np.ndarray:
    return np.array([hashlib.blake2b(t.encode(), digest_size=16).digest() for t in texts],
                    dtype="S16")


def missing_count(known: Known, texts: Sequence[str]) -> int:
    """How many distinct ``texts`` ``known`` has no vector for."""
    return int((known.lookup(np.unique(text_digests(texts))) < 0).sum())


def embed_with(known: Known, texts: Sequence[str], embed: Callable[[list[str]], np.ndarray],
               on_progress: Callable[[int, int], None] | None = None
               ) -> tuple[np.ndarray, Known | None]:
    """Vectors of ``texts``, embedding only those ``known`` lacks; the updated set of
    known vectors (None when nothing new was embedded)."""
    digests = text_digests(texts)
    unique, first, inverse = np.unique(digests, return_index=True, return_inverse=True)
    at = known.lookup(unique)
    missing = np.flatnonzero(at < 0)
    fresh = []
    for start in range(0, len(missing), BATCH):
        fresh.append(embed([texts[i] for i in first[missing[start:start + BATCH]]]))
        if on_progress:
            on_progress(min(start + BATCH, len(missing)), len(missing))
    if len(missing):
        dim = fresh[0].shape[1]
        vectors = np.zeros((len(unique), dim), dtype=np.float32)
        vectors[missing] = np.concatenate(fresh)
        present = np.flatnonzero(at >= 0)
        if len(present):
            vectors[present] = known.vectors[at[present]]
        updated: Known | None = Known(unique, vectors)
    else:
        vectors, updated = known.vectors[at], None
    return vectors[inverse.reshape(-1)], updated
