"""Which datasets and table functions a query uses, found by parsing it with DuckDB's own
parser (no binding, so nothing is read while checking)."""

from __future__ import annotations

import json
from typing import Any

import duckdb

from sluice.errors import InvalidInput

# Table functions that only compute; everything else (duckdb_*, pragma_*, read_*, query*)
# could read files, settings or the catalog.
SAFE_TABLE_FUNCTIONS = {"range", "generate_series", "unnest", "json_each", "json_tree"}


def referenced_tables(con: duckdb.DuckDBPyConnection, sql: str) -> set[str]:
    """Names of base tables in ``sql``, minus the query's own CTE names.

    Raises:
        InvalidInput: the query does not parse (``sql_invalid``), or calls a table
            function outside :data:`SAFE_TABLE_FUNCTIONS` (``sql_forbidden``).
    """
    rows = con.execute("SELECT json_serialize_sql(?)", [sql]).fetchall()
    tree = json.loads(rows[0][0]) if rows else {}
    if tree.get("error"):
        raise InvalidInput(f"SQL syntax error: {tree.get('error_message')}", code="sql_invalid")
    found: set[str] = set()
    ctes: set[str] = set()
    functions: set[str] = set()
    _walk(tree, found, ctes, functions)
    forbidden = sorted(functions - SAFE_TABLE_FUNCTIONS)
    if forbidden:
        raise InvalidInput(
            f"table function(s) {', '.join(forbidden)} are not allowed; queries read "
            f"datasets (and may use {', '.join(sorted(SAFE_TABLE_FUNCTIONS))})",
            code="sql_forbidden", details={"functions": forbidden})
    return found - ctes


def _walk(node: Any, found: set[str], ctes: set[str], functions: set[str]) -> None:
    if isinstance(node, dict):
        if node.get("type") == "TABLE_FUNCTION":
            function = node.get("function") or {}
            functions.add(str(function.get("function_name", "")).lower())
        if node.get("type") == "BASE_TABLE" and node.get("table_name"):
            schema = node.get("schema_name") or ""
            name = str(node["table_name"])
            found.add(f"{schema}.{name}" if schema else name)
        cte_map = node.get("cte_map")
        if isinstance(cte_map, dict):
            ctes.update(str(m.get("key")) for m in cte_map.get("map", []))
        for value in node.values():
            _walk(value, found, ctes, functions)
    elif isinstance(node, list):
        for value in node:
            _walk(value, found, ctes, functions)
