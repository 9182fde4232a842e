"""Bringing a view up to its source's newest version, incrementally.

Under the view's commit lock (so two syncs never both apply the same change):

1. Hash each source row's text; rows whose (key, hash) the view lacks are new or changed,
   view rows whose parent is gone or changed are removed.
2. Chunk and embed only the new and changed rows.
3. One view commit: delete the removed chunks, append the new ones, bring the full-text
   index up to date. The vector index is updated the same way (mark removed, add new),
   written to the blob store, and recorded with the version in the same transaction, so
   searches always see a matching table and index; until then they use the previous pair.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import select
from sqlalchemy.orm import Session

from sluice.core.datasets.commits import WriteResult, WriteTarget
from sluice.core.datasets.rows import KEY
from sluice.core.events.models import ViewSynced
from sluice.core.search.vectors import VectorIndex
from sluice.core.views.chunking import ChunkSpec, chunk_text
from sluice.inference.embedders import get_embedder
from sluice.storage.metadata.schema import DatasetRow, DatasetVersionRow, ViewRow

if TYPE_CHECKING:
    from sluice.core.jobs.context import JobContext
    from sluice.core.views.service import ViewService
    from sluice.storage.blobs import FsspecBlobStore

SOURCE_LABEL_COLUMNS = ("uri", "path", "url", "title", "name", "file")
DELETE_BATCH = 500
EMBED_STEP = 512


@dataclass
class Plan:
    """What a sync changes."""

    new_rows: pa.Table  # source rows to chunk: _key, text, label, parent_hash
    removed_parents: list[str]
    removed_ids: np.ndarray

    @property
    def empty(self) -> bool:
        return self.new_rows.num_rows == 0 and not self.removed_parents


@dataclass
class Outcome:
    index_blob: str | None = None
    chunks_added: int = 0
    summary: dict[str, Any] = field(default_factory=dict)


def chunk_id(key: str) -> int:
    """A chunk's 63-bit id in the vector index, derived from its key."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big") >> 1


def text_hash(text: str | None, label: str | None) -> str:
    return hashlib.md5(f"{label}\x00{text}".encode(), usedforsecurity=False).hexdigest()[:16]


def view_schema(dim: int) -> pa.Schema:
    return pa.schema([
        pa.field("_key", pa.string()), pa.field("_hash", pa.string()),
        pa.field("_source", pa.string()), pa.field("_id", pa.int64()),
        pa.field("parent_key", pa.string()), pa.field("parent_hash", pa.string()),
        pa.field("parent_version", pa.int32()), pa.field("chunk", pa.int32()),
        pa.field("heading", pa.string()), pa.field("text", pa.string()),
        pa.field("start", pa.int32()), pa.field("end", pa.int32()),
        pa.field("tokens", pa.int32()), pa.field("source", pa.string()),
        pa.field("embedding", pa.list_(pa.float32(), dim)),
    ])


class ViewSync:
    """One run of a view's sync (a job body)."""

    def __init__(self, views: ViewService, job: JobContext, name: str) -> None:
        self.views = views
        self.job = job
        self.ctx = job.ctx
        self.dataset, self.view = views.lookup(self.ctx, name)
        self.outcome = Outcome()

    def run(self) -> dict[str, Any]:
        committed = self.views.datasets.committer.commit(
            self.ctx, self.dataset.name, self._write, operation="sync", job_id=self.job.id,
            on_record=self._record)
        if committed is None:
            return {"view": self.dataset.name, "changed": False, **self.outcome.summary}
        return {"view": self.dataset.name, "changed": True, "version": committed.number,
                **self.outcome.summary}

    # -- the writer (runs under the view's lock) -----------------------------------

    def _write(self, target: WriteTarget) -> WriteResult:
        view = self._fresh_view()
        source, version = self._source()
        table = self.views.tables.open(source.table_path, version.lance_version)
        plan = self._plan(table, view, target)
        self.source_version = version.number
        if plan.empty:
            self._mark_synced(view.id, version.number)
            self.outcome.summary = {"source_version": version.number, "added": 0, "removed": 0}
            return WriteResult(None)
        chunks = self._chunk(plan.new_rows, source.name, version.number, view)
        lance_version = self._write_table(target, chunks, plan.removed_parents)
        self.outcome.index_blob = self._write_index(view, chunks, plan.removed_ids)
        self.outcome.summary = {
            "source_version": version.number, "rows_rechunked": plan.new_rows.num_rows,
            "added": chunks.num_rows, "removed": len(plan.removed_ids),
            "parents_removed": len(plan.removed_parents)}
        origin = f"{source.name}@{version.number}"
        return WriteResult(lance_version, dict(self.outcome.summary), f"sync with {origin}",
                           parents=[origin], event=ViewSynced,
                           event_fields={"source": origin})

    def _record(self, s: Session, version: DatasetVersionRow) -> None:
        row = s.get(ViewRow, self.view.id)
        assert row is not None
        row.source_version = self.source_version
        row.index_blob = self.outcome.index_blob
        row.index_version = version.number

    def _fresh_view(self) -> ViewRow:
        with self.views.db.reader() as s:
            view = s.get(ViewRow, self.view.id)
            if view is None:
                from sluice.core.views.service import view_not_found

                raise view_not_found(self.dataset.name)
            s.expunge(view)
            return view

    def _source(self) -> tuple[DatasetRow, DatasetVersionRow]:
        with self.views.db.reader() as s:
            name = s.scalar(select(DatasetRow.name).where(DatasetRow.id == self.view.source_id))
        return self.views.datasets.resolve(self.ctx, str(name))

    def _mark_synced(self, view_id: str, number: int) -> None:
        with self.views.db.session() as s:
            row = s.get(ViewRow, view_id)
            if row is not None:
                row.source_version = number

    # -- planning ------------------------------------------------------------------

    def _plan(self, source: Any, view: ViewRow, target: WriteTarget) -> Plan:
        label = next((c for c in SOURCE_LABEL_COLUMNS if c in source.schema.names), None)
        columns = [KEY, view.column] + ([label] if label and label != view.column else [])
        rows = source.to_table(columns=columns)
        labels = rows.column(label).to_pylist() if label else [None] * rows.num_rows
        hashes = [text_hash(t, str(lb) if lb is not None else None) for t, lb in
                  zip(rows.column(view.column).to_pylist(), labels, strict=True)]
        rows = pa.table({KEY: rows.column(KEY), "text": rows.column(view.column),
                         "label": pa.array([None if v is None else str(v) for v in labels],
                                           pa.string()),
                         "parent_hash": pa.array(hashes, pa.string())})
        # Rows without text make no chunks: never "new", or every sync would redo them.
        length = pc.utf8_length(pc.utf8_trim_whitespace(rows.column("text")))
        rows = rows.filter(pc.fill_null(pc.greater(length, 0), False))
        if target.lance_version is None:
            return Plan(rows, [], np.zeros(0, dtype=np.int64))
        stored = self.views.tables.open(target.table_path, target.lance_version).to_table(
            columns=["_id", "parent_key", "parent_hash"])
        have = set(zip(stored.column("parent_key").to_pylist(),
                       stored.column("parent_hash").to_pylist(), strict=True))
        fresh = set(fresh_pairs(rows))
        new_mask = [(k, h) not in have for k, h in fresh_pairs(rows)]
        gone = {k for k, h in have if (k, h) not in fresh}
        removed = stored.filter(pc.is_in(stored.column("parent_key"),
                                         pa.array(sorted(gone), pa.string())))
        return Plan(rows.filter(pa.array(new_mask, pa.bool_())), sorted(gone),
                    removed.column("_id").to_numpy())

    # -- chunking and embedding -----------------------------------------------------

    def _chunk(self, rows: pa.Table, source: str, number: int, view: ViewRow) -> pa.Table:
        spec = ChunkSpec(view.chunk_size, view.chunk_overlap)
        cols: dict[str, list[Any]] = {f.name: [] for f in view_schema(view.dim)}
        for key, text, label, parent_hash in zip(*(rows.column(c).to_pylist() for c in (
                KEY, "text", "label", "parent_hash")), strict=True):
            for chunk in chunk_text(text or "", spec):
                ckey = f"{key}#{chunk.index}"
                _append(cols, _key=ckey, _hash=text_hash(chunk.text, chunk.heading),
                        _source=f"{source}@{number}", _id=chunk_id(ckey), parent_key=key,
                        parent_hash=parent_hash, parent_version=number, chunk=chunk.index,
                        heading=chunk.heading, text=chunk.text, start=chunk.start,
                        end=chunk.end, tokens=chunk.tokens, source=label)
        self.job.check_cancelled()
        texts = [f"{h}\n{t}" if h else t for h, t in zip(cols["heading"], cols["text"],
                                                          strict=True)]
        vectors = self._embed(texts, view)
        cols.pop("embedding")
        arrays = {k: pa.array(v, view_schema(view.dim).field(k).type) for k, v in cols.items()}
        flat = pa.array(vectors.reshape(-1), pa.float32())
        arrays["embedding"] = pa.FixedSizeListArray.from_arrays(flat, view.dim)
        return pa.table(arrays, schema=view_schema(view.dim))

    def _embed(self, texts: list[str], view: ViewRow) -> np.ndarray:
        """Embed in steps (progress, cancel), longest texts first across the whole sync, so
        each batch pads to similar lengths."""
        embedder = get_embedder(view.embedder, self.views.settings)
        out = np.zeros((len(texts), view.dim), dtype=np.float32)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        for start in range(0, len(texts), EMBED_STEP):
            self.job.check_cancelled()
            step = order[start:start + EMBED_STEP]
            out[step] = embedder.embed([texts[i] for i in step])
            done = min(start + EMBED_STEP, len(texts))
            self.job.progress(done, len(texts), f"embedded {done}/{len(texts)} chunks")
        return out

    # -- writing -------------------------------------------------------------------

    def _write_table(self, target: WriteTarget, chunks: pa.Table, removed: list[str]) -> int:
        tables = self.views.tables
        self.job.check_cancelled(force=True)
        if target.lance_version is None:
            version = tables.create(target.table_path, chunks)
        else:
            version = target.lance_version
            for i in range(0, len(removed), DELETE_BATCH):
                keys = ", ".join(_quote(k) for k in removed[i:i + DELETE_BATCH])
                version = tables.delete(target.table_path, f"parent_key IN ({keys})")
            if chunks.num_rows:
                version = tables.append(target.table_path, chunks)
        return _refresh_text_index(tables, target.table_path, version)

    def _write_index(self, view: ViewRow, chunks: pa.Table, removed: np.ndarray) -> str:
        index = load_index(self.views.blobs, view.index_blob, view.dim)
        index.remove(removed)
        vectors = chunks.column("embedding").combine_chunks().flatten().to_numpy()
        index.add(chunks.column("_id").to_numpy(), vectors.reshape(-1, view.dim))
        self.job.progress(1, 1, f"vector index: {index.size} chunks ({index.kind})")
        return self.views.blobs.put_bytes(index.to_bytes())


def fresh_pairs(rows: pa.Table) -> list[tuple[str, str]]:
    return list(zip(rows.column(KEY).to_pylist(), rows.column("parent_hash").to_pylist(),
                    strict=True))


def load_index(blobs: FsspecBlobStore, blob: str | None, dim: int) -> VectorIndex:
    if blob is None:
        return VectorIndex(dim)
    return VectorIndex.from_bytes(blobs.read(blob))


def _refresh_text_index(tables: Any, table_path: str, version: int) -> int:
    """Create the BM25 index on first use, else fold new fragments into it."""
    ds = tables.open(table_path, version)
    if ds.count_rows() == 0:
        return version
    if not any(list(ix.field_names) == ["text"] for ix in ds.describe_indices()):
        ds.create_scalar_index("text", "INVERTED")
    else:
        ds.optimize.optimize_indices()
    return int(tables.open(table_path).version)


def _append(cols: dict[str, list[Any]], **values: Any) -> None:
    for k, v in values.items():
        cols[k].append(v)


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


