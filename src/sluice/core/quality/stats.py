"""Column statistics of one version, computed by DuckDB over the Lance table."""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

from sluice.core.datasets.rows import SYSTEM_COLUMNS
from sluice.core.datasets.values import jsonable

BINS = 10
TOP = 5


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def column_stats(con: duckdb.DuckDBPyConnection, schema: pa.Schema, rows: int) -> list[dict]:  # type: ignore[type-arg]
    """Nulls, distinct values, ranges, histograms and top values per user column."""
    out = []
    for field in schema:
        if field.name in SYSTEM_COLUMNS:
            continue
        out.append(_one(con, field, rows))
    return out


def _one(con: duckdb.DuckDBPyConnection, field: pa.Field, rows: int) -> dict[str, Any]:
    col, t = _quote(field.name), field.type
    stat: dict[str, Any] = {"name": field.name, "type": str(t)}
    comparable = not (pa.types.is_nested(t) or pa.types.is_binary(t)
                      or pa.types.is_large_binary(t))
    distinct = f"count(DISTINCT {col})" if comparable else "NULL"
    nulls, n_distinct = con.execute(
        f"SELECT count(*) - count({col}), {distinct} FROM t").fetchall()[0]
    stat.update(nulls=int(nulls), null_fraction=_frac(nulls, rows),
                distinct=None if n_distinct is None else int(n_distinct))
    if _numeric(t):
        stat.update(_numeric_stats(con, col))
    elif pa.types.is_string(t) or pa.types.is_large_string(t):
        stat.update(_text_stats(con, col))
    elif pa.types.is_timestamp(t) or pa.types.is_date(t):
        lo, hi = con.execute(f"SELECT min({col}), max({col}) FROM t").fetchall()[0]
        stat.update(min=jsonable(lo), max=jsonable(hi))
    return stat


def _numeric(t: pa.DataType) -> bool:
    return (pa.types.is_integer(t) or pa.types.is_floating(t)) and not pa.types.is_boolean(t)


def _numeric_stats(con: duckdb.DuckDBPyConnection, col: str) -> dict[str, Any]:
    lo, hi, mean, std = con.execute(  # type: ignore[misc]
        f"SELECT min({col}), max({col}), avg({col}), stddev_samp({col}) FROM t "
        f"WHERE isfinite({col}::DOUBLE)").fetchall()[0]
    stats: dict[str, Any] = {"min": jsonable(lo), "max": jsonable(hi),
                             "mean": jsonable(mean), "std": jsonable(std)}
    if lo is not None and hi is not None:
        stats["histogram"] = _histogram(con, col, float(lo), float(hi))
    return stats


def _histogram(con: duckdb.DuckDBPyConnection, col: str, lo: float, hi: float) -> dict[str, Any]:
    width = (hi - lo) / BINS or 1.0
    counts = dict(con.execute(
        f"SELECT least({BINS - 1}, floor(({col}::DOUBLE - {lo!r}) / {width!r}))::INT AS b, "
        f"count(*) FROM t WHERE isfinite({col}::DOUBLE) GROUP BY b").fetchall())
    return {"edges": [lo + i * width for i in range(BINS + 1)],
            "counts": [int(counts.get(i, 0)) for i in range(BINS)]}


def _text_stats(con: duckdb.DuckDBPyConnection, col: str) -> dict[str, Any]:
    avg_len, max_len, empty = con.execute(  # type: ignore[misc]
        f"SELECT avg(length({col})), max(length({col})), "
        f"count(*) FILTER (WHERE trim({col}) = '') FROM t").fetchall()[0]
    top = con.execute(f"SELECT left({col}, 200), count(*) c FROM t WHERE {col} IS NOT NULL "
                  f"GROUP BY 1 ORDER BY c DESC, 1 LIMIT {TOP}").fetchall()
    return {"avg_length": jsonable(avg_len), "max_length": jsonable(max_len),
            "empty": int(empty or 0),
            "top_values": [{"value": v, "count": int(c)} for v, c in top]}


def exact_duplicates(con: duckdb.DuckDBPyConnection, hash_column: str) -> dict[str, Any]:
    """Rows whose content equals an earlier row's (by the content hash column)."""
    col = _quote(hash_column)
    extra, groups = con.execute(  # type: ignore[misc]
        f"SELECT coalesce(sum(c - 1), 0), count(*) FROM (SELECT count(*) c FROM t "
        f"WHERE {col} IS NOT NULL GROUP BY {col} HAVING c > 1)").fetchall()[0]
    sample = con.execute(
        f"SELECT list(_key ORDER BY _key)[:10] FROM t WHERE {col} IS NOT NULL GROUP BY {col} "
        "HAVING count(*) > 1 ORDER BY count(*) DESC LIMIT 20").fetchall()
    return {"by": hash_column, "duplicate_rows": int(extra), "group_count": int(groups),
            "groups": [list(keys) for (keys,) in sample]}


def _frac(part: Any, whole: int) -> float:
    return round(float(part) / whole, 6) if whole else 0.0
