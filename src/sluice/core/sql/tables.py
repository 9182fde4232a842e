"""Which datasets a query reads, found by parsing it (DuckDB's own parser, no binding)."""

from __future__ import annotations

import json
from typing import Any

import duckdb

from sluice.errors import InvalidInput


def referenced_tables(con: duckdb.DuckDBPyConnection, sql: str) -> set[str]:
    """Names of base tables in ``sql``, minus the query's own CTE names.

    Raises:
        InvalidInput: the query does not parse (``sql_invalid``).
    """
    rows = con.execute("SELECT json_serialize_sql(?)", [sql]).fetchall()
    tree = json.loads(rows[0][0]) if rows else {}
    if tree.get("error"):
        raise InvalidInput(f"SQL syntax error: {tree.get('error_message')}", code="sql_invalid")
    found: set[str] = set()
    ctes: set[str] = set()
    _walk(tree, found, ctes)
    return found - ctes


def _walk(node: Any, found: set[str], ctes: set[str]) -> None:
    if isinstance(node, dict):
        if node.get("type") == "BASE_TABLE" and node.get("table_name"):
            schema = node.get("schema_name") or ""
            name = str(node["table_name"])
            found.add(f"{schema}.{name}" if schema else name)
        cte_map = node.get("cte_map")
        if isinstance(cte_map, dict):
            ctes.update(str(m.get("key")) for m in cte_map.get("map", []))
        for value in node.values():
            _walk(value, found, ctes)
    elif isinstance(node, list):
        for value in node:
            _walk(value, found, ctes)
