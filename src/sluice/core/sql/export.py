"""Arrow tables to bytes: CSV, JSON lines, Parquet, Arrow IPC (all in memory)."""

from __future__ import annotations

import io
import json

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from sluice.core.datasets.values import jsonable_rows
from sluice.errors import InvalidInput

FORMATS = ("json", "jsonl", "csv", "parquet", "arrow")
MEDIA_TYPES = {
    "json": "application/json",
    "jsonl": "application/x-ndjson",
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
    "arrow": "application/vnd.apache.arrow.stream",
}


def to_bytes(table: pa.Table, fmt: str) -> bytes:
    """Serialise ``table`` in ``fmt`` (one of :data:`FORMATS`)."""
    if fmt == "json":
        return json.dumps(jsonable_rows(table), ensure_ascii=False).encode()
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n"
                       for r in jsonable_rows(table)).encode()
    if fmt == "csv":
        return _csv(table)
    if fmt == "parquet":
        sink = pa.BufferOutputStream()
        pq.write_table(_flat(table, parquet=True), sink, compression="zstd")
        return bytes(sink.getvalue())
    if fmt == "arrow":
        return arrow_ipc(table)
    raise InvalidInput(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}",
                       code="invalid_format")


def arrow_ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue())


def from_arrow_ipc(data: bytes) -> pa.Table:
    return pa.ipc.open_stream(data).read_all()


def _csv(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    pacsv.write_csv(_flat(table, parquet=False), buf)
    return buf.getvalue()


def _flat(table: pa.Table, *, parquet: bool) -> pa.Table:
    """Nested (CSV) or interval (Parquet) columns as JSON text, which every reader takes."""
    cols = []
    for field, col in zip(table.schema, table.columns, strict=True):
        if _needs_text(field.type, parquet):
            values = [None if v is None else json.dumps(v, default=str)
                      for v in col.to_pylist()]
            cols.append(pa.array(values, pa.string()))
        else:
            cols.append(col)
    return pa.Table.from_arrays(cols, names=table.column_names)


def _needs_text(t: pa.DataType, parquet: bool) -> bool:
    if parquet:
        return bool(pa.types.is_interval(t))
    return bool(pa.types.is_nested(t) or pa.types.is_interval(t) or pa.types.is_dictionary(t))
