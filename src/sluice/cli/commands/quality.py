"""``sluice quality NAME[@N]``"""

from __future__ import annotations

from typing import Annotated

import typer

from sluice.cli.main import JsonOpt, state
from sluice.cli.output import kv, out, print_json, table
from sluice.cli.progress import follow


def quality(
    ref: Annotated[str, typer.Argument(help="NAME or NAME@N")],
    as_json: JsonOpt = False,
    redact: Annotated[bool, typer.Option(
        help="Commit a new version with personal data masked.")] = False,
    cached: Annotated[bool, typer.Option(
        help="Show the stored report without recomputing it.")] = False,
) -> None:
    """Compute and show the quality report of a version (and optionally redact PII)."""
    s = state(as_json)
    client = s.client()
    if redact:
        job = follow(client, client.quality.redact(ref, wait=False), as_json=s.json,
                     label=f"redact {ref}")
        return print_json(job) if s.json else out.print((job.result or {}).get("message", ""))
    if not cached:
        follow(client, client.quality.run(ref, wait=False), as_json=s.json,
               label=f"quality {ref}")
    report = client.quality.get(ref)
    if s.json:
        return print_json(report)
    r = report.report
    kv([("dataset", f"{report.dataset}@{report.version}"), ("rows", r["row_count"]),
        ("exact duplicate rows", r["duplicates"]["duplicate_rows"]),
        ("near-duplicate groups", r["near_duplicates"]["group_count"]),
        ("PII findings", r["pii"]["total"]), ("PII by type", r["pii"]["by_type"] or "none")])
    table("Columns", ["column", "type", "nulls", "distinct", "min", "max"], [
        (c["name"], c["type"], c["nulls"], c.get("distinct"), c.get("min", ""),
         c.get("max", "")) for c in r["columns"]])
    return None


def add_commands(app: typer.Typer) -> None:
    app.command()(quality)
