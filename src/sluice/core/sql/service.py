"""User SQL over datasets: DuckDB reading Lance, read-only and bounded.

Every query runs on a cursor of a DuckDB database configured with external access
off (no files, no URLs, no ATTACH of files, no COPY, no extension loading) and its
configuration locked. On top of that a query must be exactly one SELECT-type
statement, it only sees the datasets it names (``tickets``, ``"tickets@3"``), it is
interrupted after the timeout, and it returns at most the row limit.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from sluice.core.context import Ctx
from sluice.core.datasets.refs import DatasetRef, parse_ref
from sluice.core.sql.cache import TableCache
from sluice.core.sql.engine import sandboxed_connection
from sluice.core.sql.models import QueryResult
from sluice.core.sql.predicates import one_expression
from sluice.core.sql.semantic import (
    COSINE_MACRO,
    TableFunction,
    calls_function,
    expand_table_functions,
    register_embed,
)
from sluice.core.sql.tables import referenced_tables
from sluice.errors import InvalidInput, NotFound, SluiceError, Timeout

if TYPE_CHECKING:
    from sluice.core.datasets.catalog import DatasetCatalog
    from sluice.core.limits.budget import ModelBudget
    from sluice.settings import Settings

MAX_SQL_CHARS = 100_000
MAX_FILTER_KEYS = 10_000_000


class SqlService:
    def __init__(self, catalog: DatasetCatalog, settings: Settings,
                 budget: ModelBudget | None = None) -> None:
        self.catalog = catalog
        self.settings = settings
        self.budget = budget
        self.cache = TableCache(settings.sql_cache_bytes)
        self._base: duckdb.DuckDBPyConnection | None = None
        self._lock = threading.Lock()
        self._active: set[duckdb.DuckDBPyConnection] = set()
        self.table_functions: dict[str, TableFunction] = {}  # e.g. search(...)

    def query(
        self, ctx: Ctx, sql: str, *, limit: int | None = None, timeout: float | None = None,
        metered: bool = False,
    ) -> QueryResult:
        """Run one read-only query and return at most ``limit`` rows.

        Raises:
            InvalidInput: not a single SELECT, a syntax error, or file/URL access
                (codes ``sql_not_read_only``, ``sql_invalid``, ``sql_forbidden``).
            NotFound: a table that names no dataset (``table_not_found``).
            Timeout: the query ran past the timeout (``sql_timeout``).
            RateLimited: ``metered`` (the server's routes) and the query calls ``embed``
                past the caller's model budget.
        """
        limit = self._limit(limit)
        timeout = min(timeout or self.settings.sql_timeout_seconds,
                      self.settings.sql_timeout_seconds)
        statement = self._statement(sql)
        if metered and self.budget is not None and self._embeds(statement):
            with self.budget.spend(ctx, estimate=timeout):  # embedding is model time
                return self._query(ctx, statement, limit, timeout)
        return self._query(ctx, statement, limit, timeout)

    def _embeds(self, statement: str) -> bool:
        cursor = self._cursor()
        try:
            return calls_function(cursor, statement, "embed")
        finally:
            self._release(cursor)

    def _query(self, ctx: Ctx, statement: str, limit: int, timeout: float) -> QueryResult:
        cursor = self._cursor()
        try:
            statement, own = expand_table_functions(cursor, statement, ctx,
                                                    self.table_functions)
            self._register_tables(ctx, cursor, statement, skip=own)
            return self._run(cursor, statement, limit, timeout)
        finally:
            self._release(cursor)

    def keys_where(self, ctx: Ctx, ref: str, predicate: str) -> pa.Array:
        """``_key`` of the rows of ``ref`` matching the SQL ``predicate`` (a filter), under
        the same sandbox and timeout as user queries."""
        predicate = one_expression(predicate)
        statement = self._statement(f'SELECT "_key" FROM "{ref}" WHERE {predicate}')
        cursor = self._cursor()
        try:
            self._register_tables(ctx, cursor, statement)
            result = self._run(cursor, statement, MAX_FILTER_KEYS,
                               self.settings.sql_timeout_seconds)
        finally:
            self._release(cursor)
        return result.table.column(0).combine_chunks()

    def _limit(self, limit: int | None) -> int:
        cap = self.settings.sql_max_rows
        if limit is None:
            return cap
        if not 1 <= limit <= cap:
            raise InvalidInput(f"limit must be 1..{cap} (sql_max_rows)", code="invalid_limit")
        return limit

    def _statement(self, sql: str) -> str:
        if not isinstance(sql, str) or not sql.strip():
            raise InvalidInput("the query is empty", code="sql_invalid")
        if len(sql) > MAX_SQL_CHARS:
            raise InvalidInput(f"the query is longer than {MAX_SQL_CHARS} characters",
                               code="sql_invalid")
        try:
            statements = self._connection().extract_statements(sql)
        except duckdb.Error as exc:
            raise InvalidInput(f"SQL syntax error: {_clean(exc)}", code="sql_invalid") from exc
        if len(statements) != 1:
            raise InvalidInput("send exactly one statement", code="sql_not_read_only")
        stmt = statements[0]
        if stmt.type != duckdb.StatementType.SELECT:
            raise InvalidInput(
                f"only read-only queries are allowed (got {stmt.type.name}); "
                "use SELECT, WITH, VALUES, DESCRIBE or SUMMARIZE",
                code="sql_not_read_only",
            )
        return str(stmt.query)

    def _register_tables(self, ctx: Ctx, cursor: duckdb.DuckDBPyConnection, sql: str, *,
                         skip: set[str] | None = None) -> None:
        for name in sorted(referenced_tables(cursor, sql) - (skip or set())):
            ref = _table_ref(name)
            row, version = self.catalog.resolve(ctx, ref)
            uri = self.catalog.tables.uri(row.table_path)
            self.cache.bind(self._connection(), cursor, name, uri, version.lance_version,
                            self.catalog.tables.open_uri)

    def _run(
        self, cursor: duckdb.DuckDBPyConnection, sql: str, limit: int, timeout: float
    ) -> QueryResult:
        timer = threading.Timer(timeout, cursor.interrupt)
        started = time.perf_counter()
        timer.start()
        try:
            table = cursor.sql(sql).limit(limit + 1).to_arrow_table()
        except duckdb.InterruptException as exc:
            raise Timeout(f"the query ran longer than {timeout:g}s and was stopped",
                          code="sql_timeout", details={"timeout_seconds": timeout}) from exc
        except duckdb.Error as exc:
            raise _translate(exc) from exc
        finally:
            timer.cancel()
        elapsed = (time.perf_counter() - started) * 1000
        return QueryResult(table=table.slice(0, limit), truncated=table.num_rows > limit,
                           elapsed_ms=elapsed, limit=limit)

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        cursor = self._connection().cursor()
        with self._lock:
            self._active.add(cursor)
        return cursor

    def _release(self, cursor: duckdb.DuckDBPyConnection) -> None:
        with self._lock:
            self._active.discard(cursor)
        cursor.close()

    def interrupt_all(self) -> None:
        """Stop every query running now (the server is shutting down)."""
        with self._lock:
            active = list(self._active)
        for cursor in active:
            cursor.interrupt()

    def _connection(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            if self._base is None:
                self._base = _sandbox(self.settings)
            return self._base

    def close(self) -> None:
        with self._lock:
            if self._base is not None:
                self._base.close()
                self._base = None


def _sandbox(settings: Settings) -> duckdb.DuckDBPyConnection:
    con = sandboxed_connection(settings.sql_threads, settings.sql_memory_limit)
    con.execute(COSINE_MACRO)
    register_embed(con, lambda texts: _embedder(settings).embed(texts))
    con.execute("SET lock_configuration = true")
    return con


def _embedder(settings: Settings) -> Any:
    from sluice.inference.embedders import get_embedder

    return get_embedder(settings.embedder, settings)


def _table_ref(name: str) -> DatasetRef:
    if any(ch in name for ch in "/\\:.*?"):
        raise InvalidInput(f"queries may only read datasets, not files or URLs ({name!r})",
                           code="sql_forbidden", details={"table": name})
    try:
        return parse_ref(name)
    except InvalidInput as exc:
        raise NotFound(f"table {name!r} is not a dataset; name a dataset, or "
                       '"dataset@N" for an older version', code="table_not_found",
                       details={"table": name}) from exc


def _translate(exc: duckdb.Error) -> SluiceError:
    message = _clean(exc)
    if isinstance(exc, duckdb.PermissionException):
        return InvalidInput(f"queries may only read datasets, not files, URLs or extensions: "
                            f"{message}", code="sql_forbidden")
    if isinstance(exc, duckdb.CatalogException):
        return NotFound(f"{message}", code="table_not_found")
    if isinstance(exc, duckdb.OutOfMemoryException):
        return InvalidInput(f"the query needs more memory than sql_memory_limit allows: "
                            f"{message}", code="sql_out_of_memory")
    return InvalidInput(f"the query failed: {message}", code="sql_invalid")


def _clean(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:1000] if str(exc).strip() else type(exc).__name__
