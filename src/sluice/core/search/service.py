"""Search over a view: full-text (BM25), vector (HNSW/exact) and hybrid (RRF)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from sluice.core.context import Ctx
from sluice.core.datasets.refs import DatasetRef
from sluice.core.search.models import SearchHit, SearchMode, SearchResults
from sluice.core.search.ranking import highlight_spans, query_terms, reciprocal_rank_fusion
from sluice.core.search.snapshot import Ranked, Snapshot, SnapshotCache
from sluice.core.views.sync import load_index
from sluice.errors import InvalidInput, NotFound
from sluice.inference.embedders import get_embedder
from sluice.storage.metadata.schema import DatasetRow, ViewRow

if TYPE_CHECKING:
    from sluice.core.datasets.service import DatasetService
    from sluice.core.sql.service import SqlService
    from sluice.core.views.service import ViewService
    from sluice.settings import Settings
    from sluice.storage.blobs import FsspecBlobStore
    from sluice.storage.metadata.database import Database

MAX_QUERY_CHARS = 2000
MAX_K = 100
HYBRID_DEPTH = 50  # candidates each method contributes to the fusion
SQL_SEARCH_SCHEMA = pa.schema([
    ("rank", pa.int32()), ("score", pa.float64()), ("key", pa.string()),
    ("parent_key", pa.string()), ("chunk", pa.int32()), ("text", pa.string()),
    ("heading", pa.string()), ("source", pa.string()), ("dataset", pa.string()),
    ("version", pa.int32()),
])


class SearchService:
    def __init__(self, db: Database, blobs: FsspecBlobStore, datasets: DatasetService,
                 views: ViewService, sql: SqlService, settings: Settings) -> None:
        self.db, self.blobs, self.datasets = db, blobs, datasets
        self.views, self.sql, self.settings = views, sql, settings
        self.cache = SnapshotCache()
        self._names: dict[str, str] = {}  # dataset id -> name (datasets are never renamed)

    def search(self, ctx: Ctx, name: str, query: str, *, mode: str = "hybrid", k: int = 10,
               where: str | None = None) -> SearchResults:
        """The ``k`` best chunks of view ``name`` for ``query``.

        ``where`` is a SQL predicate on the source rows (``"year > 2020"``).

        Raises:
            InvalidInput: empty or too long query, bad ``k`` or mode, bad predicate.
            NotFound: no such view, or it has not been synced yet.
        """
        started = time.perf_counter()
        query, mode_ = _check(query, mode, k)
        ds, view = self.views.lookup(ctx, name)
        snap, number = self._snapshot(ctx, ds, view)
        parents = self._parents(ctx, view, where)
        ranked = self._rank(snap, view, query, mode_, k, parents)
        hits = self._hits(snap, ranked, query, k, view)
        latest = self._source_latest(ctx, view)
        return SearchResults(
            view=ds.name, view_version=number, dataset=self._source_name(view), mode=mode_,
            query=query, k=k, where=where, hits=hits,
            elapsed_ms=(time.perf_counter() - started) * 1000,
            stale=latest is not None and latest != view.source_version)

    def search_vectors(self, ctx: Ctx, name: str, vectors: np.ndarray,
                       k: int = 10) -> tuple[list[list[str]], np.ndarray]:
        """Chunk keys and cosine scores of the ``k`` nearest chunks of each vector."""
        if not 1 <= k <= MAX_K:
            raise InvalidInput(f"k must be 1..{MAX_K}", code="invalid_k")
        ds, view = self.views.lookup(ctx, name)
        snap, _ = self._snapshot(ctx, ds, view)
        vectors = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
        if vectors.shape[1] != view.dim:
            raise InvalidInput(f"vectors must have {view.dim} dimensions",
                               code="vector_dimension_mismatch")
        hits = snap.index.search(vectors, k)
        keys = snap.rows(np.where(hits.ids >= 0, hits.ids, snap.sorted_ids[0]).ravel())
        flat = keys.column("_key").to_pylist()
        out = [[flat[i * k + j] for j in range(k) if hits.ids[i, j] >= 0]
               for i in range(len(vectors))]
        return out, hits.scores

    def sql_table(self, ctx: Ctx, args: list[Any]) -> pa.Table:
        """``search('view', 'query'[, k[, 'mode']])`` in SQL: the hits as a table."""
        if not 2 <= len(args) <= 4:
            raise InvalidInput("use search('view', 'query'[, k[, 'text|vector|hybrid']])",
                               code="sql_invalid")
        k = args[2] if len(args) > 2 else 10
        if not isinstance(k, int):
            raise InvalidInput("search(...): k must be a whole number", code="invalid_k")
        mode = str(args[3]) if len(args) > 3 else "hybrid"
        results = self.search(ctx, str(args[0]), str(args[1]), mode=mode, k=k)
        rows = [h.model_dump(exclude={"highlights"}) for h in results.hits]
        return pa.Table.from_pylist(rows, schema=SQL_SEARCH_SCHEMA)

    def embed(self, view: ViewRow, texts: list[str]) -> np.ndarray:
        return get_embedder(view.embedder, self.settings).embed(texts)

    # -- steps ---------------------------------------------------------------------

    def _snapshot(self, ctx: Ctx, ds: DatasetRow, view: ViewRow) -> tuple[Snapshot, int]:
        if view.index_version == 0:
            raise NotFound(f"view {ds.name!r} has no chunks yet; its sync job is running or "
                           "failed (`sluice jobs list`), or run `sluice index "
                           f"{ds.name}`", code="view_not_synced", details={"view": ds.name})
        number = view.index_version
        blob = view.index_blob

        def load() -> Snapshot:
            table = self.datasets.open(ctx, DatasetRef(ds.name, number))
            return Snapshot(table, load_index(self.blobs, blob, view.dim))

        return self.cache.get((ds.id, number), load), number

    def _parents(self, ctx: Ctx, view: ViewRow, where: str | None) -> pa.Array | None:
        if where is None or not where.strip():
            return None
        ref = f"{self._source_name(view)}@{view.source_version}"
        return self.sql.keys_where(ctx, ref, where)

    def _rank(self, snap: Snapshot, view: ViewRow, query: str, mode: SearchMode, k: int,
              parents: pa.Array | None) -> Ranked:
        depth = k if mode != SearchMode.HYBRID else max(k, HYBRID_DEPTH)
        text = vector = None
        if mode in (SearchMode.TEXT, SearchMode.HYBRID):
            text = snap.text(query, depth, parents)
        if mode in (SearchMode.VECTOR, SearchMode.HYBRID):
            allowed = None if parents is None else snap.ids_of_parents(parents)
            vector = snap.vector(self.embed(view, [query]), depth, allowed)
        if text is not None and vector is not None:
            return Ranked(*reciprocal_rank_fusion(text.ids, vector.ids))
        result = text if text is not None else vector
        assert result is not None
        return result

    def _hits(self, snap: Snapshot, ranked: Ranked, query: str, k: int,
              view: ViewRow) -> list[SearchHit]:
        ids, scores = ranked.ids[:k], ranked.scores[:k]
        if len(ids) == 0:
            return []
        rows = snap.rows(ids).to_pylist()
        terms = query_terms(query)
        source = self._source_name(view)
        return [SearchHit(
            rank=i + 1, score=float(score), key=row["_key"], parent_key=row["parent_key"],
            chunk=row["chunk"], text=row["text"], heading=row["heading"] or "",
            highlights=highlight_spans(row["text"], terms), source=row["source"],
            dataset=source, version=row["parent_version"],
        ) for i, (row, score) in enumerate(zip(rows, scores, strict=True))]

    def _source_name(self, view: ViewRow) -> str:
        if view.source_id not in self._names:
            with self.db.reader() as s:
                row = s.get(DatasetRow, view.source_id)
                if row is None:
                    return "?"
                self._names[view.source_id] = row.name
        return self._names[view.source_id]

    def _source_latest(self, ctx: Ctx, view: ViewRow) -> int | None:
        try:
            return self.datasets.resolve(ctx, self._source_name(view))[1].number
        except NotFound:
            return None


def _check(query: str, mode: str, k: int) -> tuple[str, SearchMode]:
    if not isinstance(query, str) or not query.strip():
        raise InvalidInput("the query is empty", code="query_empty")
    if len(query) > MAX_QUERY_CHARS:
        raise InvalidInput(f"the query is longer than {MAX_QUERY_CHARS} characters; "
                           "shorten it", code="query_too_long",
                           details={"max_chars": MAX_QUERY_CHARS})
    if not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise InvalidInput(f"k must be 1..{MAX_K}", code="invalid_k")
    try:
        return query.strip(), SearchMode(mode)
    except ValueError:
        raise InvalidInput(f"mode must be one of {', '.join(m.value for m in SearchMode)}",
                           code="invalid_search_mode") from None
