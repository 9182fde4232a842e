"""DuckDB connections: trusted ones for Sluice's own queries, sandboxed ones for user SQL."""

from __future__ import annotations

import duckdb


def trusted_connection(threads: int = 2) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for internal SQL; never give it user input as SQL text."""
    con = duckdb.connect(":memory:", config={"threads": threads})
    con.execute("SET enable_progress_bar = false")
    return con


def sandboxed_connection(threads: int, memory_limit: str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for SQL a user wrote: no files, no URLs, no extensions.

    The caller registers what the query may read, then runs
    ``SET lock_configuration = true`` so the query cannot turn any of this back on.
    """
    con = duckdb.connect(":memory:", config={
        "enable_external_access": False,
        "autoload_known_extensions": False,
        "autoinstall_known_extensions": False,
        "allow_community_extensions": False,
        "threads": threads,
        "memory_limit": memory_limit,
    })
    con.execute("SET enable_progress_bar = false")
    return con
