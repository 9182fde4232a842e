"""Versions are immutable, so a loaded version can be kept: an LRU of native DuckDB tables.

The first query of a version scans Lance directly (a one-shot `sluice sql` gains nothing
from copying). The second copies the version, if its files fit the budget, into a DuckDB
table in the query database; later queries scan that table, which is about as fast as
DuckDB over its own Parquet. Larger versions are always scanned from Lance, with late
materialisation off (faster for aggregates).

The cached tables are named ``__v_<n>``. User queries cannot name them: every table a
query references must resolve to a dataset of the caller's project (see ``service.py``),
and names starting with ``_`` are not dataset names.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import duckdb
import lance

Opener = Callable[[str, int], lance.LanceDataset]


class TunedLanceDataset(lance.LanceDataset):
    """A Lance dataset whose scans skip late materialisation (faster for aggregates)."""

    def scanner(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("late_materialization", False)
        return super().scanner(*args, **kwargs)


@dataclass
class _Entry:
    table: str
    size: int


class TableCache:
    """Native DuckDB copies of recently queried versions, within a byte budget."""

    def __init__(self, budget_bytes: int) -> None:
        self.budget = budget_bytes
        self._entries: OrderedDict[tuple[str, int], _Entry] = OrderedDict()
        self._used = 0
        self._counter = 0
        self._seen: OrderedDict[tuple[str, int], None] = OrderedDict()
        self._lock = threading.Lock()

    def bind(self, con: duckdb.DuckDBPyConnection, cursor: duckdb.DuckDBPyConnection,
             name: str, uri: str, version: int, opener: Opener) -> None:
        """Make ``name`` readable on ``cursor`` as the given version of a table."""
        cached = self._cached(con, uri, version, opener)
        if cached is None:
            ds = opener(uri, version)
            ds.__class__ = TunedLanceDataset
            cursor.register(name, ds)
        else:  # a TEMP view lives only on this cursor, never in the shared catalog
            quoted = '"' + name.replace('"', '""') + '"'
            cursor.execute(f'CREATE OR REPLACE TEMP VIEW {quoted} AS SELECT * FROM "{cached}"')

    def _cached(self, con: duckdb.DuckDBPyConnection, uri: str, version: int,
                opener: Opener) -> str | None:
        key = (uri, version)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                return entry.table
            first_time = key not in self._seen
            self._seen[key] = None
            while len(self._seen) > 10_000:
                self._seen.popitem(last=False)
        if first_time:
            return None
        ds = opener(uri, version)
        size = _file_bytes(ds)
        if self.budget <= 0 or size * 3 > self.budget:
            return None
        return self._load(con, key, ds, size)

    def _load(self, con: duckdb.DuckDBPyConnection, key: tuple[str, int],
              ds: lance.LanceDataset, size: int) -> str:
        with self._lock:
            if key in self._entries:
                return self._entries[key].table
            self._counter += 1
            table = f"__v_{self._counter}"
            loader = con.cursor()
            try:
                loader.register("__src", ds.to_table())
                loader.execute(f'CREATE TABLE "{table}" AS SELECT * FROM __src')
            finally:
                loader.close()
            self._entries[key] = _Entry(table, size * 3)
            self._used += size * 3
            self._evict(con)
            return table

    def _evict(self, con: duckdb.DuckDBPyConnection) -> None:
        while self._used > self.budget and len(self._entries) > 1:
            _, old = self._entries.popitem(last=False)
            self._used -= old.size
            con.execute(f'DROP TABLE IF EXISTS "{old.table}"')

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._used = 0


def _file_bytes(ds: lance.LanceDataset) -> int:
    """Bytes of the version's data files (compressed; memory use is a few times this)."""
    return sum(
        int(data_file.file_size_bytes or 0)
        for fragment in ds.get_fragments()
        for data_file in fragment.data_files()
    )
