"""The vector index of a view: FAISS HNSW (exact search while small), kept incrementally.

Vectors are unit length, so inner product is cosine similarity. Each vector has an
internal position; ``ids`` maps positions to the view's chunk ids and ``alive`` marks the
ones not deleted. Deleting only clears ``alive`` (HNSW cannot remove nodes); searches skip
dead positions, and once too many are dead the index is rebuilt from the live vectors.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import faiss
import numpy as np

from sluice.errors import InvalidInput

EXACT_MAX = 20_000  # below this many vectors exact search is fast enough and exact
HNSW_M = 32
EF_CONSTRUCTION = 80
EF_SEARCH = 96
MAX_DEAD_FRACTION = 0.25


@dataclass
class Hits:
    ids: np.ndarray  # (queries, k) chunk ids, -1 where fewer than k found
    scores: np.ndarray  # (queries, k) cosine similarity


class VectorIndex:
    def __init__(self, dim: int, index: faiss.Index | None = None,
                 ids: np.ndarray | None = None, alive: np.ndarray | None = None) -> None:
        self.dim = dim
        self.index = index if index is not None else faiss.IndexFlatIP(dim)
        self.ids = ids if ids is not None else np.zeros(0, dtype=np.int64)
        self.alive = alive if alive is not None else np.zeros(0, dtype=bool)
        self._position: dict[int, int] | None = None
        self._size: int | None = None
        if isinstance(self.index, faiss.IndexHNSWFlat):
            self.index.hnsw.efSearch = EF_SEARCH

    @property
    def size(self) -> int:
        """Live vectors (kept as a count: searches check it on every call)."""
        if self._size is None:
            self._size = int(self.alive.sum())
        return self._size

    @property
    def kind(self) -> str:
        return "hnsw" if isinstance(self.index, faiss.IndexHNSWFlat) else "exact"

    @property
    def dead_fraction(self) -> float:
        return 0.0 if len(self.alive) == 0 else 1.0 - self.size / len(self.alive)

    # -- changes -----------------------------------------------------------------

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dim:
            raise InvalidInput(f"vectors must have {self.dim} dimensions",
                               code="vector_dimension_mismatch")
        if len(ids) == 0:
            return
        if self.kind == "exact" and len(self.alive) + len(ids) > EXACT_MAX:
            self._rebuild(hnsw=True)
        self.index.add(vectors)
        self.ids = np.concatenate([self.ids, np.asarray(ids, dtype=np.int64)])
        self.alive = np.concatenate([self.alive, np.ones(len(ids), dtype=bool)])
        self._position = self._size = None

    def remove(self, ids: np.ndarray) -> int:
        """Mark chunk ids deleted; returns how many were present."""
        positions = np.flatnonzero(np.isin(self.ids, np.asarray(ids, dtype=np.int64))
                                   & self.alive)
        self.alive[positions] = False
        self._size = None
        if self.dead_fraction > MAX_DEAD_FRACTION:
            self._rebuild(hnsw=self.kind == "hnsw" and self.size > EXACT_MAX)
        return len(positions)

    def _rebuild(self, *, hnsw: bool) -> None:
        """A fresh index over the live vectors (drops the dead ones)."""
        keep = np.flatnonzero(self.alive)
        vectors = self.index.reconstruct_n(0, self.index.ntotal)[keep] if len(keep) else \
            np.zeros((0, self.dim), dtype=np.float32)
        self.index = _new_index(self.dim, hnsw=hnsw)
        if len(keep):
            self.index.add(np.ascontiguousarray(vectors))
        self.ids = self.ids[keep]
        self.alive = np.ones(len(keep), dtype=bool)
        self._position = self._size = None

    # -- queries -----------------------------------------------------------------

    def search(self, queries: np.ndarray, k: int,
               allowed: np.ndarray | None = None) -> Hits:
        """The ``k`` nearest live chunks of each query; ``allowed`` limits to those ids."""
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        n = len(queries)
        if self.size == 0 or k <= 0:
            return Hits(np.full((n, k), -1, dtype=np.int64), np.zeros((n, k), np.float32))
        if allowed is None and self.size == len(self.alive):
            scores, positions = self.index.search(queries, k)  # the fast path: no filter
        else:
            scores, positions = self._filtered(queries, k, allowed)
        ids = np.where(positions >= 0, self.ids[np.maximum(positions, 0)], -1)
        return Hits(ids, scores)

    def _filtered(self, queries: np.ndarray, k: int,
                  allowed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        mask = self.alive if allowed is None else \
            self.alive & np.isin(self.ids, np.asarray(allowed, dtype=np.int64))
        bitmap = np.packbits(mask, bitorder="little")
        params = self._params(len(mask), bitmap)  # holds a pointer into ``bitmap``
        scores, positions = self.index.search(queries, k, params=params)
        del bitmap
        return scores, positions

    def _params(self, n: int, bitmap: np.ndarray | None) -> Any:
        lib: Any = faiss  # its stubs lack the HNSW parameter classes
        selector = None
        if bitmap is not None:
            selector = lib.IDSelectorBitmap(n, lib.swig_ptr(bitmap))
        if self.kind == "hnsw":
            return lib.SearchParametersHNSW(efSearch=EF_SEARCH, sel=selector)
        return lib.SearchParameters(sel=selector) if selector is not None else None

    def vectors_of(self, ids: np.ndarray) -> np.ndarray:
        """Stored vectors of chunk ids (for tests and re-ranking)."""
        if self._position is None:
            live = np.flatnonzero(self.alive)
            self._position = dict(zip(self.ids[live].tolist(), live.tolist(), strict=True))
        positions = [self._position[int(i)] for i in ids]
        return np.stack([self.index.reconstruct(p) for p in positions]) if positions else \
            np.zeros((0, self.dim), dtype=np.float32)

    # -- persistence -------------------------------------------------------------

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        np.savez(buf, index=faiss.serialize_index(self.index), ids=self.ids,
                 alive=self.alive, dim=np.array([self.dim]))
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> VectorIndex:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            index = faiss.deserialize_index(npz["index"])
            return cls(int(npz["dim"][0]), index, npz["ids"].copy(), npz["alive"].copy())


def _new_index(dim: int, *, hnsw: bool) -> faiss.Index:
    if not hnsw:
        return faiss.IndexFlatIP(dim)
    index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = EF_CONSTRUCTION
    index.hnsw.efSearch = EF_SEARCH
    return index
