"""DuckDB connections for Sluice's own (trusted) queries: diffs, hashes, statistics."""

from __future__ import annotations

import duckdb


def trusted_connection(threads: int = 2) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for internal SQL; never give it user input as SQL text."""
    con = duckdb.connect(":memory:", config={"threads": threads})
    con.execute("SET enable_progress_bar = false")
    return con
