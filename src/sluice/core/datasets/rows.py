"""System columns every dataset row carries, and fitting new rows to a stored schema.

``_key``    the row's identity across versions: the key column's value, a document's URI,
            or, for keyless tables, a digest of (source, content, occurrence).
``_hash``   a digest of the row's content; a key whose hash moved was *changed*.
``_source`` where the row came from: a file URI, ``append:<batch>``, ``redis:<stream>``.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from sluice.core.sql.engine import trusted_connection
from sluice.errors import InvalidInput

KEY, HASH, SOURCE = "_key", "_hash", "_source"
MAX_VALUE_DEPTH = 32  # Arrow refuses to export schemas nested past about 64 levels
MAX_COLUMN_NAME = 256
SYSTEM_COLUMNS = (KEY, HASH, SOURCE)
SYSTEM_FIELDS = [pa.field(KEY, pa.string()), pa.field(HASH, pa.string()),
                 pa.field(SOURCE, pa.string())]


def user_columns(schema: pa.Schema) -> list[str]:
    return [n for n in schema.names if n not in SYSTEM_COLUMNS]


def clean_column_names(table: pa.Table) -> tuple[pa.Table, dict[str, str]]:
    """Give every column a usable, unique name; system names get a trailing '_'."""
    seen: set[str] = set()
    names, renamed = [], {}
    for i, raw in enumerate(table.column_names):
        name = str(raw).strip() or f"column_{i + 1}"
        if name in SYSTEM_COLUMNS:
            name += "_"
        base, n = name, 2
        while name in seen:
            name, n = f"{base}_{n}", n + 1
        seen.add(name)
        names.append(name)
        if name != raw:
            renamed[str(raw)] = name
    return table.rename_columns(names), renamed


def content_hashes(table: pa.Table) -> pa.Array:
    """MD5 of each row's non-null user values, as ``name=value`` pairs in name order.

    Column order and columns that are null in a row do not change the hash, so rows
    sent with their fields in another order, or read back after a column was added,
    compare equal. Computed by DuckDB over the Arrow table.
    """
    cols = sorted(user_columns(table.schema))
    if table.num_rows == 0:
        return pa.array([], pa.string())
    if not cols:
        return pa.array([hashlib.md5(b"").hexdigest()] * table.num_rows, pa.string())
    pairs = ", ".join(f"{_literal(c + '=')} || CAST({_ident(c)} AS VARCHAR)" for c in cols)
    con = trusted_connection()
    try:
        con.register("src", table.select(cols))
        out = con.sql(f"SELECT md5(concat_ws(chr(31), {pairs})) AS h FROM src").to_arrow_table()
    finally:
        con.close()
    return out.column("h").combine_chunks()


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def with_system_columns(
    table: pa.Table, *, source: str, key_column: str | None = None,
    keys: list[str] | None = None,
) -> pa.Table:
    """Add ``_key``, ``_hash`` and ``_source`` to user rows."""
    table = table.drop_columns([c for c in SYSTEM_COLUMNS if c in table.column_names])
    hashes = content_hashes(table)
    if keys is not None:
        key_array = pa.array(keys, pa.string())
    elif key_column:
        key_array = _key_values(table, key_column)
    else:
        key_array = _occurrence_keys(source, hashes)
    sources = pa.array([source] * table.num_rows, pa.string())
    return (table.append_column(pa.field(KEY, pa.string()), key_array)
            .append_column(pa.field(HASH, pa.string()), hashes)
            .append_column(pa.field(SOURCE, pa.string()), sources))


def _key_values(table: pa.Table, key_column: str) -> pa.Array:
    if key_column not in table.column_names:
        raise InvalidInput(f"key column {key_column!r} is missing from the rows",
                           code="key_missing", details={"key": key_column})
    keys = pc.cast(table.column(key_column), pa.string()).combine_chunks()
    if keys.null_count:
        raise InvalidInput(f"key column {key_column!r} has {keys.null_count} empty value(s)",
                           code="key_null", details={"key": key_column})
    if pc.count_distinct(keys).as_py() != len(keys):
        raise InvalidInput(f"key column {key_column!r} has duplicate values in this batch",
                           code="key_duplicate", details={"key": key_column})
    return keys


def _occurrence_keys(source: str, hashes: pa.Array) -> pa.Array:
    counts: dict[str, int] = {}
    keys = []
    prefix = hashlib.md5(source.encode()).hexdigest()[:12]
    for h in hashes.to_pylist():
        n = counts.get(h, 0)
        counts[h] = n + 1
        keys.append(f"{prefix}:{h}:{n}")
    return pa.array(keys, pa.string())


def fit_to_schema(table: pa.Table, schema: pa.Schema) -> tuple[pa.Table, list[pa.Field]]:
    """Cast ``table`` to a stored ``schema``.

    Missing columns become nulls; new columns are returned so the caller can add them
    to the stored table first.

    Raises:
        InvalidInput: a column whose values cannot be cast (code ``schema_mismatch``).
    """
    new_fields = [f.with_nullable(True) for f in table.schema if f.name not in schema.names]
    target = pa.schema(list(schema) + new_fields)
    columns = [_cast_column(table, f) for f in target]
    return pa.Table.from_arrays(columns, schema=target), new_fields


def _cast_column(table: pa.Table, field: pa.Field) -> pa.Array:
    if field.name not in table.column_names:
        return pa.nulls(table.num_rows, field.type)
    column = table.column(field.name)
    if column.type == field.type:
        return column.combine_chunks()
    if pa.types.is_null(column.type):
        return pa.nulls(table.num_rows, field.type)
    try:
        return pc.cast(column, field.type).combine_chunks()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise InvalidInput(
            f"column {field.name!r} holds {column.type} values but the dataset stores "
            f"{field.type}: {exc}",
            code="schema_mismatch",
            details={"column": field.name, "expected": str(field.type), "got": str(column.type)},
        ) from exc


def rows_to_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Build an Arrow table from JSON objects, naming the row that breaks typing.

    Raises:
        InvalidInput: no rows, a row that is not an object, a column name that is empty or
            not printable (``invalid_column_name``), values nested deeper than
            :data:`MAX_VALUE_DEPTH` (``value_too_deep``), or types that do not line up.
    """
    if not rows:
        raise InvalidInput("the batch has no rows", code="empty_batch")
    bad = next((i for i, r in enumerate(rows) if not isinstance(r, dict)), None)
    if bad is not None:
        raise InvalidInput(f"row {bad} is not a JSON object", code="invalid_row",
                           details={"row": bad})
    try:
        table = pa.Table.from_pylist(rows)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as exc:
        raise InvalidInput(f"rows have inconsistent types: {exc}", code="schema_mismatch") from exc
    except RecursionError as exc:
        raise _too_deep() from exc
    check_columns(table.schema)
    return table


def check_columns(schema: pa.Schema) -> None:
    """Column names a person can read and SQL can quote; nesting Arrow can carry."""
    for field in schema:
        name = field.name
        if not name.strip() or len(name) > MAX_COLUMN_NAME or not name.isprintable():
            raise InvalidInput(f"column name {name[:50]!r} is empty, longer than "
                               f"{MAX_COLUMN_NAME} characters or not printable; rename it",
                               code="invalid_column_name", details={"column": name[:50]})
        if type_depth(field.type) > MAX_VALUE_DEPTH:
            raise _too_deep(name)


def type_depth(t: pa.DataType) -> int:
    """How many list/struct/map levels an Arrow type nests."""
    if pa.types.is_struct(t):
        return 1 + max((type_depth(t.field(i).type) for i in range(t.num_fields)), default=0)
    if pa.types.is_map(t):
        return 1 + max(type_depth(t.key_type), type_depth(t.item_type))
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return 1 + type_depth(t.value_type)
    return 0


def _too_deep(column: str | None = None) -> InvalidInput:
    where = f"column {column!r}" if column else "a value"
    return InvalidInput(f"{where} nests lists or objects more than {MAX_VALUE_DEPTH} levels "
                        "deep; flatten it or store it as a JSON string", code="value_too_deep",
                        details={"limit": MAX_VALUE_DEPTH})


def null_types_to_string(table: pa.Table) -> pa.Table:
    """Columns that are all-null get type string, so later batches can fill them."""
    fields = [pa.field(f.name, pa.string()) if pa.types.is_null(f.type) else f
              for f in table.schema]
    return table.cast(pa.schema(fields)) if fields != list(table.schema) else table
