"""Sorting, filtering and paging the rows of one version: what every rows table reads.

Order. Without a sort, rows come in a stable order: by the dataset's key column when it
has one (a new version rewrites changed rows at the end of storage, so storage order would
move the rows just labeled to the end of the table), else in storage order. A sort on
another column breaks ties by the key column (else ``_key``), so pages never overlap or
skip a row.

Filter. ``where`` is one SQL condition in DuckDB's dialect, the same as ``sluice sql``
(``score > 0.5 AND lang = 'en'``). It is parsed as exactly one expression
(:func:`sluice.core.sql.predicates.one_expression`), may read only this version (no other
dataset, no table function beyond the safe ones) and runs on a sandboxed DuckDB (no files,
URLs or extensions, configuration locked) under a time limit.

Cost. Paging in storage order reads only the page from Lance. A sort, a filter or the key
order scans the version once per page (DuckDB keeps only the top ``offset + limit`` rows
when sorting), which is fine for millions of rows and bounded by the time limit beyond.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb
import lance
import pyarrow as pa

from sluice.core.datasets.rows import KEY
from sluice.core.sql.engine import sandboxed_connection
from sluice.core.sql.predicates import one_expression
from sluice.core.sql.tables import referenced_tables
from sluice.errors import InvalidInput, SluiceError, Timeout

SOURCE = "__rows"  # what the sandbox calls the version; not a dataset name


@dataclass(frozen=True)
class RowQuery:
    """Which rows of a version, in which order (both optional)."""

    sort: str | None = None
    descending: bool = False
    where: str | None = None


@dataclass(frozen=True)
class QueryLimits:
    """Bounds on one sorted or filtered read (the server uses its ``sql_*`` settings)."""

    timeout_seconds: float = 30.0
    memory_limit: str = "2GB"
    threads: int = 2


def normalise(sort: str | None, descending: bool, where: str | None) -> RowQuery:
    """Blank values (an empty form field) mean "none"."""
    return RowQuery(sort=(sort or "").strip() or None, descending=bool(descending),
                    where=(where or "").strip() or None)


def read_page(ds: lance.LanceDataset, query: RowQuery, *, key_column: str | None,
              columns: list[str] | None, offset: int, limit: int,
              limits: QueryLimits) -> tuple[pa.Table, int | None]:
    """One page of ``ds`` and, when filtered, how many rows match (else None: all do).

    Raises:
        InvalidInput: ``column_not_found`` (the sort column), ``invalid_filter``.
        Timeout: ``rows_timeout``.
    """
    names = ds.schema.names
    if query.sort is not None and query.sort not in names:
        raise InvalidInput(
            f"cannot sort by {query.sort!r}: no such column; the columns are "
            f"{', '.join(names)}", code="column_not_found",
            details={"column": query.sort, "available": names})
    # Keyless and unsorted: DuckDB keeps the scan's order (preserve_insertion_order).
    order = _order_by(query, key_column if key_column in names else None)
    if query.where is None and not order:
        return ds.to_table(columns=columns, offset=offset, limit=limit), None
    return _query(ds, query, order, columns or names, offset, limit, limits)


def _order_by(query: RowQuery, key_column: str | None) -> str:
    if query.sort is None:
        return f"ORDER BY {_ident(key_column)}" if key_column else ""
    direction = " DESC" if query.descending else ""
    tie = key_column or KEY  # unique, so equal values keep one order on every page
    ties = "" if query.sort in (KEY, key_column) else f", {_ident(tie)}"
    return f"ORDER BY {_ident(query.sort)}{direction}{ties}"


def _query(ds: lance.LanceDataset, query: RowQuery, order: str, columns: list[str],
           offset: int, limit: int, limits: QueryLimits) -> tuple[pa.Table, int | None]:
    con = sandboxed_connection(limits.threads, limits.memory_limit)
    try:
        condition = _condition(con, query.where)
        con.register(SOURCE, ds)
        con.execute("SET lock_configuration = true")
        source = f'FROM "{SOURCE}"' + (f" WHERE {condition}" if condition else "")
        select = ", ".join(_ident(c) for c in columns)
        with _deadline(con, limits.timeout_seconds), _translated(query, ds.schema.names):
            total = None
            if condition:
                total = int(con.execute(f"SELECT count(*) {source}").fetchall()[0][0])
            table = con.sql(f"SELECT {select} {source} {order} LIMIT {int(limit)} "
                            f"OFFSET {int(offset)}").to_arrow_table()
    finally:
        con.close()
    return table, total


def _condition(con: duckdb.DuckDBPyConnection, where: str | None) -> str | None:
    """``where`` as one expression over this version's columns only."""
    if where is None:
        return None
    condition = one_expression(where, code="invalid_filter")
    try:
        tables = referenced_tables(con, f'SELECT 1 FROM "{SOURCE}" WHERE {condition}')
    except InvalidInput as exc:
        raise InvalidInput(f"not a usable filter: {exc.message}", code="invalid_filter",
                           details=exc.details) from exc
    if tables - {SOURCE}:
        raise InvalidInput("a filter may only use this dataset's columns; use `sluice sql` "
                           "to combine datasets", code="invalid_filter",
                           details={"tables": sorted(tables - {SOURCE})})
    return condition


@contextmanager
def _deadline(con: duckdb.DuckDBPyConnection, seconds: float) -> Iterator[None]:
    timer = threading.Timer(seconds, con.interrupt)
    timer.start()
    try:
        yield
    except duckdb.InterruptException as exc:
        raise Timeout(f"reading the rows took longer than {seconds:g}s and was stopped; "
                      "narrow the filter", code="rows_timeout",
                      details={"timeout_seconds": seconds}) from exc
    finally:
        timer.cancel()


@contextmanager
def _translated(query: RowQuery, names: list[str]) -> Iterator[None]:
    """DuckDB's errors as ours: the filter is the only user text in the query."""
    try:
        yield
    except duckdb.InterruptException:
        raise
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        if query.where is not None:
            raise InvalidInput(f"the filter failed: {first} (the columns are "
                               f"{', '.join(names)})", code="invalid_filter",
                               details={"where": query.where, "available": names}) from exc
        raise SluiceError(f"reading the rows failed: {first}", code="rows_failed") from exc


def _ident(name: str | None) -> str:
    return '"' + str(name).replace('"', '""') + '"'
