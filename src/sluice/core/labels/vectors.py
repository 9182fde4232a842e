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
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from sluice.core.context import Ctx
from sluice.core.jobs.models import JobInfo, JobState
from sluice.storage.blobs import BlobStore

if TYPE_CHECKING:
    from sluice.core.labels.service import LabelService

EMBEDDER = "minilm"
BATCH = 256
MEMORY = 4  # embedded tables kept in memory per process


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


class SchemaVectors:
    """The embeddings of label schemas' texts: in memory by content (this process), and
    in a blob per schema (every process, across versions)."""

    def __init__(self, labels: LabelService) -> None:
        self.labels = labels
        self._vectors: dict[tuple[str, str, str, str], np.ndarray] = {}
        self._known: dict[str | None, Known] = {}
        self._last: tuple[pa.Table, list[str], tuple[str, str, str, str]] | None = None

    def forget(self) -> None:
        """Drop what this process holds (the blobs stay)."""
        self._vectors, self._known, self._last = {}, {}, None

    def vectors(self, ctx: Ctx, dataset: str, name: str, table: pa.Table, *,
                on_progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        from sluice.inference.embedders import get_embedder

        texts, key = self._texts(ctx, dataset, name, table)
        if key in self._vectors:
            return self._vectors[key]
        blob, known = self._stored(ctx, dataset, name)
        embedder = get_embedder(EMBEDDER, self.labels.settings)
        vectors, updated = embed_with(known, texts,
                                      lambda part: np.asarray(embedder.embed(part)),
                                      on_progress)
        if updated is not None:
            self._store(ctx, dataset, name, blob, updated)
        self._vectors[key] = vectors.astype(np.float32, copy=False)
        while len(self._vectors) > MEMORY:
            self._vectors.pop(next(iter(self._vectors)))
        return self._vectors[key]

    def missing(self, ctx: Ctx, dataset: str, name: str, table: pa.Table) -> int:
        texts, key = self._texts(ctx, dataset, name, table)
        return 0 if key in self._vectors else \
            missing_count(self._stored(ctx, dataset, name)[1], texts)

    def prepare(self, ctx: Ctx, dataset: str, name: str) -> JobInfo:
        from sluice.core.labels.jobs import KIND_VECTORS

        self.labels.schema(ctx, dataset, name)
        params = {"dataset": dataset, "schema": name}
        for job in self.labels.jobs.list(ctx, kind=KIND_VECTORS, limit=20):
            if job.params == params and job.state in (JobState.QUEUED, JobState.RUNNING):
                return job
        return self.labels.jobs.submit(ctx, KIND_VECTORS, params)

    def _texts(self, ctx: Ctx, dataset: str, name: str,
               table: pa.Table) -> tuple[list[str], tuple[str, str, str, str]]:
        column = self.labels.schema(ctx, dataset, name).column
        last = self._last  # the queue asks twice about one table
        if last is not None and last[0] is table and last[2][2] == column:
            return last[1], last[2]
        texts = [t or "" for t in table.column(column).to_pylist()]
        key = (ctx.project_id, dataset, column, content_key(texts))
        self._last = (table, texts, key)
        return texts, key

    def _stored(self, ctx: Ctx, dataset: str, name: str) -> tuple[str | None, Known]:
        """The schema's blob digest and its vectors, read once per blob."""
        with self.labels.db.reader() as s:
            blob = self.labels.schema_row(s, ctx, dataset, name).vectors_blob
        if blob not in self._known:
            self._known = {blob: Known.load(self.labels.blobs, blob)}
        return blob, self._known[blob]

    def _store(self, ctx: Ctx, dataset: str, name: str, loaded: str | None,
               updated: Known) -> None:
        """Point the schema at ``updated``; when another process stored vectors since
        ``loaded`` was read, keep theirs too."""
        with self.labels.db.session() as s:
            row = self.labels.schema_row(s, ctx, dataset, name)
            if row.vectors_blob not in (None, loaded):
                updated = updated.merge(Known.load(self.labels.blobs, row.vectors_blob))
            row.vectors_blob = updated.save(self.labels.blobs)
            self._known = {row.vectors_blob: updated}
