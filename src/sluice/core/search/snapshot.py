"""A loaded view version: its chunk table, vector index and text index, ready to query.

Loaded once per (view, version) and kept in a small LRU, so a query costs an embedding,
an index lookup and a few array takes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import lance
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sluice.core.search.vectors import VectorIndex

META_COLUMNS = ["_id", "_key", "parent_key", "parent_version", "chunk", "heading", "text",
                "source"]
PREFILTER_MAX_KEYS = 5000


@dataclass
class Ranked:
    ids: np.ndarray  # chunk ids, best first
    scores: np.ndarray


class Snapshot:
    def __init__(self, table: lance.LanceDataset, index: VectorIndex) -> None:
        self.table = table
        self.index = index
        meta = table.to_table(columns=META_COLUMNS)
        ids = meta.column("_id").to_numpy()
        self.order = np.argsort(ids, kind="stable")
        self.sorted_ids = ids[self.order]
        self.meta = meta
        self._parents = meta.column("parent_key")

    def rows(self, ids: np.ndarray) -> pa.Table:
        """The chunk rows of ``ids``, in that order."""
        pos = np.searchsorted(self.sorted_ids, ids)
        return self.meta.take(pa.array(self.order[pos]))

    def ids_of_parents(self, parents: pa.Array) -> np.ndarray:
        mask = pc.is_in(self._parents, value_set=parents)
        ids: np.ndarray = self.meta.column("_id").filter(mask).to_numpy()
        return ids

    def vector(self, query: np.ndarray, k: int, allowed: np.ndarray | None) -> Ranked:
        hits = self.index.search(query, k, allowed)
        keep = hits.ids[0] >= 0
        return Ranked(hits.ids[0][keep], hits.scores[0][keep])

    def text(self, query: str, k: int, parents: pa.Array | None) -> Ranked:
        kwargs: dict[str, Any] = {}
        post = parents is not None and len(parents) > PREFILTER_MAX_KEYS
        if parents is not None and not post:
            keys = ", ".join("'" + str(p).replace("'", "''") + "'" for p in parents.to_pylist())
            kwargs = {"filter": f"parent_key IN ({keys})" if keys else "false",
                      "prefilter": True}
        limit = k * 20 if post else k
        found = self.table.to_table(full_text_query=query, limit=limit,
                                    columns=["_id", "parent_key", "_score"], **kwargs)
        if post:
            assert parents is not None
            found = found.filter(pc.is_in(found.column("parent_key"), value_set=parents))
            found = found.slice(0, k)
        return Ranked(found.column("_id").to_numpy(), found.column("_score").to_numpy())


class SnapshotCache:
    def __init__(self, size: int = 4) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, int], Snapshot] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, int], load: Any) -> Snapshot:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        snapshot: Snapshot = load()
        with self._lock:
            self._items[key] = snapshot
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return snapshot

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
