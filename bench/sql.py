"""SQL overhead: the same aggregate queries through Sluice (SDK, as `sluice sql` runs them)
and through DuckDB directly over the same rows as Parquet.

Data: the UCI bike-sharing hourly table (17,379 rows) repeated 100 times (1.7M rows).

    python -m bench.sql
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from bench.common import best_of, save, shared

REPEAT = 100
QUERIES = {
    "group_by_season": "SELECT season, count(*) AS n, avg(cnt) AS avg_cnt FROM {t} GROUP BY 1",
    "filtered_count": "SELECT count(*) FROM {t} WHERE hr BETWEEN 7 AND 9 AND workingday = 1",
    "top_hours": "SELECT dteday, hr, cnt FROM {t} ORDER BY cnt DESC LIMIT 10",
    "distinct_days": "SELECT count(DISTINCT dteday) FROM {t}",
    "weather_by_hour": "SELECT weathersit, hr, sum(cnt) AS total, avg(temp) AS t "
                       "FROM {t} GROUP BY 1, 2 ORDER BY 1, 2",
}


def build_table() -> pa.Table:
    base = pacsv.read_csv(shared("bike_sharing") / "hour.csv")
    return pa.concat_tables([base] * REPEAT)


def main() -> None:
    from sluice.sdk.connect import connect

    table = build_table()
    with tempfile.TemporaryDirectory() as tmp:
        parquet = Path(tmp) / "bikes.parquet"
        pq.write_table(table, parquet)
        client = connect(home=Path(tmp) / "home", executor="thread")
        _load(client, table)
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")
        cold_started = time.perf_counter()
        client.sql(QUERIES["group_by_season"].format(t="bikes"))
        cold = time.perf_counter() - cold_started
        rows = {}
        for name, q in QUERIES.items():
            ours = best_of(lambda q=q: client.sql(q.format(t="bikes")), 7)
            theirs = best_of(lambda q=q: con.sql(q.format(
                t=f"read_parquet('{parquet}')")).fetchall(), 7)
            rows[name] = {"sluice_ms": round(ours * 1000, 2), "duckdb_parquet_ms":
                          round(theirs * 1000, 2), "ratio": round(ours / theirs, 2)}
        client.close()
        cli = _cli_wall(Path(tmp) / "home", parquet)
    total_ours = sum(r["sluice_ms"] for r in rows.values())
    total_theirs = sum(r["duckdb_parquet_ms"] for r in rows.values())
    save("sql", {"rows": table.num_rows, "queries": rows,
                 "total_ratio": round(total_ours / total_theirs, 2), "goal": "<= 1.3",
                 "first_query_ms_cold_cache": round(cold * 1000, 1), "cli": cli})


def _cli_wall(home: Path, parquet: Path) -> dict[str, float]:
    """Whole processes: `sluice sql` against `python -c` with duckdb, same query."""
    import os
    import subprocess
    import sys

    query = QUERIES["group_by_season"]
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("SLUICE_")},
           "SLUICE_HOME": str(home)}
    ours = best_of(lambda: subprocess.run(
        [sys.executable, "-m", "sluice.cli", "sql", query.format(t="bikes"), "--json"],
        env=env, check=True, capture_output=True), 3)
    script = f"import duckdb; duckdb.sql({query.format(t=f'read_parquet({str(parquet)!r})')!r})"
    theirs = best_of(lambda: subprocess.run([sys.executable, "-c", script + ".fetchall()"],
                                            check=True, capture_output=True), 3)
    return {"sluice_sql_process_s": round(ours, 2), "python_duckdb_process_s": round(theirs, 2)}


def _load(client, table: pa.Table) -> None:  # type: ignore[no-untyped-def]
    """Write the rows as one dataset version through the platform (fast path)."""
    from sluice.core.datasets.commits import NewDataset, WriteResult
    from sluice.core.datasets.models import DatasetKind
    from sluice.core.datasets.writes import prepare_rows, write_rows

    platform, ctx = client.platform, client.ctx

    def write(target):  # type: ignore[no-untyped-def]
        data = prepare_rows(platform.tables, target, table, source="bench")
        return WriteResult(write_rows(platform.tables, target, data, mode="append"))

    platform.datasets.committer.commit(ctx, "bikes", write, operation="ingest",
                                       create=NewDataset(DatasetKind.TABLE))


if __name__ == "__main__":
    main()
