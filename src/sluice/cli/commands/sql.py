"""``sluice sql "QUERY"``"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from sluice.cli.main import JsonOpt, state
from sluice.cli.output import err, print_json, short, table
from sluice.core.sql import to_bytes


def sql(
    query: Annotated[str, typer.Argument(help='e.g. "SELECT count(*) FROM tickets"')],
    as_json: JsonOpt = False,
    limit: Annotated[int | None, typer.Option(help="Most rows to return.")] = None,
    timeout: Annotated[float | None, typer.Option(help="Seconds before the query stops.")] = None,
    fmt: Annotated[str, typer.Option(
        "--format", help="table, json, jsonl, csv, parquet.")] = "table",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to a file.")] = None,
) -> None:
    """Run a read-only SQL query over datasets; "name@3" reads an older version."""
    s = state(as_json)
    result = s.client().sql(query, limit=limit, timeout=timeout)
    if s.json:
        return print_json(result.to_dict())
    if fmt != "table" or output:
        data = to_bytes(result.table, "csv" if fmt == "table" else fmt)
        (output.write_bytes(data) if output else sys.stdout.buffer.write(data))
        return None
    names = [c.name for c in result.columns]
    table(None, names, [[short(r.get(n), 50) for n in names] for r in result.rows()])
    note = f" (truncated at {result.limit})" if result.truncated else ""
    err.print(f"{result.row_count} rows in {result.elapsed_ms:.1f} ms{note}")
    return None


def add_commands(app: typer.Typer) -> None:
    app.command()(sql)
