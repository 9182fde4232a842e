"""SQL: the same aggregate queries through Sluice and through DuckDB, same threads.

Sluice is timed where a user calls it: ``client.sql()`` (the SDK; ``sluice sql`` runs the
same service: parse check, dataset resolution, sandboxed read-only DuckDB). Anchors, each
with DuckDB's threads set to Sluice's ``sql_threads`` (2): DuckDB over a Parquet file
(``read_parquet`` in every query) and DuckDB over an in-memory table made from it (what
Sluice's warm cache is). Warm: Sluice's version is already copied into its DuckDB cache
(the copy is timed separately); cold: the first query in a fresh client (Sluice scans
Lance) against the first query in a fresh DuckDB connection over Parquet. Medians of
``REPEAT`` runs with min and max.

Data: the UCI bike-sharing hourly table (17,379 rows) repeated 100 times (1.7M rows).

    python -m bench.sql [--quick]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from bench.common import quick, save, shared, spread, timed

THREADS = 2
QUERIES = {
    "group_by_season": "SELECT season, count(*) AS n, avg(cnt) AS avg_cnt FROM {t} GROUP BY 1",
    "filtered_count": "SELECT count(*) FROM {t} WHERE hr BETWEEN 7 AND 9 AND workingday = 1",
    "top_hours": "SELECT dteday, hr, cnt FROM {t} ORDER BY cnt DESC LIMIT 10",
    "distinct_days": "SELECT count(DISTINCT dteday) FROM {t}",
    "weather_by_hour": "SELECT weathersit, hr, sum(cnt) AS total, avg(temp) AS t "
                       "FROM {t} GROUP BY 1, 2 ORDER BY 1, 2",
}


def build_table(repeat: int) -> pa.Table:
    base = pacsv.read_csv(shared("bike_sharing") / "hour.csv")
    return pa.concat_tables([base] * repeat)


def ms(result: dict[str, Any]) -> dict[str, Any]:
    return spread([v * 1000 for v in result["runs"]], 2)


def duckdb_con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(config={"threads": THREADS})
    con.execute("SET enable_progress_bar = false")
    return con


def warm(client: Any, parquet: Path, repeat: int) -> dict[str, Any]:
    """Each query on the three warm paths (every path run once before timing)."""
    parquet_con, memory_con = duckdb_con(), duckdb_con()
    memory_con.execute(f"CREATE TABLE bikes AS SELECT * FROM read_parquet('{parquet}')")
    for _ in range(2):  # the version's second query copies it into Sluice's cache
        client.sql(QUERIES["filtered_count"].format(t="bikes"))
    rows = {}
    for name, q in QUERIES.items():
        paths = {
            "sluice": lambda q=q: client.sql(q.format(t="bikes")),
            "duckdb_parquet": lambda q=q: parquet_con.sql(
                q.format(t=f"read_parquet('{parquet}')")).fetchall(),
            "duckdb_memory": lambda q=q: memory_con.sql(q.format(t="bikes")).fetchall(),
        }
        for fn in paths.values():
            fn()
        rows[name] = {side: ms(timed(fn, repeat)) for side, fn in paths.items()}
    return rows


def cold(home: Path, parquet: Path, repeat: int) -> dict[str, Any]:
    """The first query: a fresh Sluice client against a fresh DuckDB connection."""
    from sluice.sdk.connect import connect

    query = QUERIES["group_by_season"]

    def sluice_first() -> None:
        client = connect(home=home, executor="thread")
        try:
            started = time.perf_counter()
            client.sql(query.format(t="bikes"))
            times.append(time.perf_counter() - started)
        finally:
            client.close()

    def duckdb_first() -> None:
        started = time.perf_counter()
        duckdb_con().sql(query.format(t=f"read_parquet('{parquet}')")).fetchall()
        times.append(time.perf_counter() - started)

    out = {}
    for side, fn in (("sluice", sluice_first), ("duckdb_parquet", duckdb_first)):
        times: list[float] = []
        for _ in range(repeat):
            fn()
        out[side] = spread([t * 1000 for t in times], 2)
    out["ratio"] = round(out["sluice"]["median"] / out["duckdb_parquet"]["median"], 2)
    return out


def cache_copy_ms(home: Path, repeat: int) -> dict[str, Any]:
    """Sluice's one-off copy of a version into its DuckDB cache (first + second query in a
    fresh client, minus nothing: the whole cost a user waits for before warm figures)."""
    from sluice.sdk.connect import connect

    times = []
    for _ in range(repeat):
        client = connect(home=home, executor="thread")
        try:
            started = time.perf_counter()
            client.sql(QUERIES["filtered_count"].format(t="bikes"))
            client.sql(QUERIES["filtered_count"].format(t="bikes"))
            times.append(time.perf_counter() - started)
        finally:
            client.close()
    return spread([t * 1000 for t in times], 1)


def totals(rows: dict[str, Any]) -> dict[str, Any]:
    sides = ("sluice", "duckdb_parquet", "duckdb_memory")
    total = {s: round(sum(r[s]["median"] for r in rows.values()), 1) for s in sides}
    return {**total,
            "ratio_vs_parquet": round(total["sluice"] / total["duckdb_parquet"], 2),
            "ratio_vs_memory": round(total["sluice"] / total["duckdb_memory"], 2)}


def main() -> None:
    from sluice.sdk.connect import connect

    repeat = 20 if quick() else 100
    runs = 3 if quick() else 7
    table = build_table(repeat)
    with tempfile.TemporaryDirectory() as tmp:
        parquet = Path(tmp) / "bikes.parquet"
        pq.write_table(table, parquet)
        home = Path(tmp) / "home"
        client = connect(home=home, executor="thread", sql_threads=THREADS)
        _load(client, table)
        client.close()
        first = cold(home, parquet, runs)
        copy = cache_copy_ms(home, 3)
        client = connect(home=home, executor="thread", sql_threads=THREADS)
        rows = warm(client, parquet, runs)
        client.close()
        cli = _cli_wall(home, parquet, 3)
    for r in rows.values():
        r["ratio_vs_parquet"] = round(r["sluice"]["median"] / r["duckdb_parquet"]["median"], 2)
        r["ratio_vs_memory"] = round(r["sluice"]["median"] / r["duckdb_memory"]["median"], 2)
    total = totals(rows)
    save("sql", {"rows": table.num_rows, "queries": rows, "total_ms": total, "cold": first,
                 "cache_copy_ms": copy, "cli": cli,
                 "goal": {"total_vs_parquet_at_most": 1.3,
                          "met": total["ratio_vs_parquet"] <= 1.3}},
         settings={"duckdb_threads": THREADS, "runs": runs, "repeat_table": repeat,
                   "path": "SDK client.sql (as sluice sql)"})


def _cli_wall(home: Path, parquet: Path, runs: int) -> dict[str, Any]:
    """Whole processes: `sluice sql` against `python -c` with duckdb, same query."""
    query = QUERIES["group_by_season"]
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("SLUICE_")},
           "SLUICE_HOME": str(home)}
    ours = timed(lambda: subprocess.run(
        [sys.executable, "-m", "sluice.cli", "sql", query.format(t="bikes"), "--json"],
        env=env, check=True, capture_output=True), runs, 2)
    script = f"import duckdb; duckdb.sql({query.format(t=f'read_parquet({str(parquet)!r})')!r})"
    theirs = timed(lambda: subprocess.run([sys.executable, "-c", script + ".fetchall()"],
                                          check=True, capture_output=True), runs, 2)
    return {"sluice_sql_process_s": ours, "python_duckdb_process_s": theirs}


def _load(client: Any, table: pa.Table) -> None:
    """Write the rows as one dataset version through the platform (fast path)."""
    from sluice.core.datasets.commits import NewDataset, WriteResult
    from sluice.core.datasets.models import DatasetKind
    from sluice.core.datasets.writes import prepare_rows, write_rows

    platform, ctx = client.platform, client.ctx

    def write(target: Any) -> WriteResult:
        data = prepare_rows(platform.tables, target, table, source="bench")
        return WriteResult(write_rows(platform.tables, target, data, mode="append"))

    platform.datasets.committer.commit(ctx, "bikes", write, operation="ingest",
                                       create=NewDataset(DatasetKind.TABLE))


if __name__ == "__main__":
    main()
