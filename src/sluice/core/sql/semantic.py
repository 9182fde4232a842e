"""Semantic SQL: ``embed(text)``, ``cosine(a, b)`` and the table function
``search('view', 'query', k[, 'mode'])`` inside ordinary read-only queries.

``embed`` is a vectorised DuckDB UDF over the configured embedder. ``cosine`` is a macro
over DuckDB's list cosine similarity, so it takes stored ``FLOAT[384]`` columns and
``embed(...)`` lists alike. ``search(...)`` is not a DuckDB function: before the query
runs, each call (its arguments must be constants) is answered by the search service, its
rows registered on the query's cursor as a table, and the call replaced by that table in
the parsed query, which DuckDB turns back into SQL.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pyarrow as pa

from sluice.errors import InvalidInput

if TYPE_CHECKING:
    from sluice.core.context import Ctx

TableFunction = Callable[["Ctx", list[Any]], pa.Table]
COSINE_MACRO = ("CREATE MACRO cosine(a, b) AS "
                "list_cosine_similarity(CAST(a AS FLOAT[]), CAST(b AS FLOAT[]))")


def register_embed(con: duckdb.DuckDBPyConnection,
                   embed: Callable[[list[str]], np.ndarray]) -> None:
    """``embed(text) -> FLOAT[]`` on ``con``; the model loads on first use."""

    def udf(texts: pa.Array) -> pa.Array:
        values = texts.to_pylist()
        present = [i for i, v in enumerate(values) if v is not None]
        vectors = embed([values[i] for i in present]) if present else np.zeros((0, 0))
        out: list[list[float] | None] = [None] * len(values)
        for row, i in enumerate(present):
            out[i] = vectors[row].tolist()
        return pa.array(out, pa.list_(pa.float32()))

    create: Any = con.create_function  # its stubs lack the arrow UDF overload
    create("embed", udf, ["VARCHAR"], "FLOAT[]", type="arrow", null_handling="special",
           side_effects=False)


def calls_function(cursor: duckdb.DuckDBPyConnection, sql: str, name: str) -> bool:
    """Whether ``sql`` calls the function ``name`` anywhere, as DuckDB's parser reads it
    (quoted, commented or schema-qualified spellings included); when it cannot be parsed,
    whether the name appears at all."""
    rows = cursor.execute("SELECT json_serialize_sql(?)", [sql]).fetchall()
    tree = json.loads(rows[0][0]) if rows else {}
    if not tree or tree.get("error"):
        return name in sql.lower()
    return _calls(tree, name)


def _calls(node: Any, name: str) -> bool:
    if isinstance(node, dict):
        if node.get("class") == "FUNCTION" and str(node.get("function_name")).lower() == name:
            return True
        return any(_calls(v, name) for v in node.values())
    if isinstance(node, list):
        return any(_calls(v, name) for v in node)
    return False


def expand_table_functions(cursor: duckdb.DuckDBPyConnection, sql: str, ctx: Ctx,
                           functions: dict[str, TableFunction]) -> tuple[str, set[str]]:
    """``sql`` with each call of a function in ``functions`` replaced by a table holding
    its result (registered on ``cursor``); returns the new SQL and those table names."""
    rows = cursor.execute("SELECT json_serialize_sql(?)", [sql]).fetchall()
    tree = json.loads(rows[0][0]) if rows else {}
    if tree.get("error"):
        return sql, set()
    registered: dict[str, pa.Table] = {}
    _replace(tree, ctx, functions, registered)
    if not registered:
        return sql, set()
    for name, table in registered.items():
        cursor.register(name, table)
    out = cursor.execute("SELECT json_deserialize_sql(?::JSON)", [json.dumps(tree)]).fetchall()
    return str(out[0][0]), set(registered)


def _replace(node: Any, ctx: Ctx, functions: dict[str, TableFunction],
             registered: dict[str, pa.Table]) -> None:
    items = node.items() if isinstance(node, dict) else enumerate(node) \
        if isinstance(node, list) else []
    for key, child in list(items):
        if isinstance(child, dict) and child.get("type") == "TABLE_FUNCTION":
            call = child.get("function") or {}
            name = str(call.get("function_name", "")).lower()
            if name in functions:
                table_name = f"__{name}_{len(registered)}"
                registered[table_name] = functions[name](ctx, _constants(name, call))
                node[key] = _base_table(table_name, child)
                continue
        _replace(child, ctx, functions, registered)


def _constants(name: str, call: dict[str, Any]) -> list[Any]:
    values = []
    for arg in call.get("arguments") or call.get("children") or []:
        expr = arg.get("expression", arg) if isinstance(arg, dict) else {}
        literal = expr.get("literal") if isinstance(expr, dict) else None
        if expr.get("class") != "CONSTANT" or not isinstance(literal, dict):
            raise InvalidInput(f"{name}(...) takes constant arguments, e.g. "
                               f"{name}('docs', 'green tea', 5)", code="sql_invalid")
        values.append(_literal(literal))
    return values


def _literal(literal: dict[str, Any]) -> Any:
    kind, text = literal.get("kind"), literal.get("text")
    if kind == "STRING":
        return text
    if kind in ("INTEGER", "BIGINT", "INT"):
        return int(str(text))
    if isinstance(literal.get("value"), int | float | str):
        return literal["value"]
    try:
        return int(str(text))
    except (TypeError, ValueError):
        return text


def _base_table(name: str, call: dict[str, Any]) -> dict[str, Any]:
    return {"type": "BASE_TABLE", "alias": call.get("alias", ""), "sample": None,
            "query_location": call.get("query_location", 0),
            "query_location_length": call.get("query_location_length", 0),
            "schema_name": "", "table_name": name, "column_name_alias": [],
            "catalog_name": "", "at_clause": None, "qualified_name": {"path": [name]}}
