"""``sluice datasets ...``"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from sluice.cli.main import JsonOpt, state
from sluice.cli.output import kv, out, print_json, short, table
from sluice.core.datasets import DatasetKind, DiffResult, VersionInfo

app = typer.Typer(no_args_is_help=True)


@app.command("list")
def list_(as_json: JsonOpt = False) -> None:
    """List datasets."""
    s = state(as_json)
    items = s.client().datasets.list()
    if s.json:
        return print_json(items)
    table("Datasets", ["name", "kind", "version", "rows", "updated"], [
        (d.name, d.kind, d.latest.number if d.latest else "-",
         d.latest.row_count if d.latest else 0, d.latest.created_at if d.latest else "")
        for d in items])


@app.command()
def show(ref: str, as_json: JsonOpt = False,
         rows: Annotated[int, typer.Option(help="Sample rows to show.")] = 5) -> None:
    """Show a dataset (or one version, NAME@N): schema and sample rows."""
    s = state(as_json)
    client = s.client()
    info = client.datasets.get(ref)
    version = client.datasets.version(ref) if info.latest else None
    page = client.datasets.rows(ref, limit=rows) if version and rows else None
    columns = client.datasets.schema(ref) if version else []
    if s.json:
        return print_json({"dataset": info, "version": version, "columns": columns,
                           "rows": page.rows if page else []})
    kv([("name", info.name), ("kind", info.kind), ("description", info.description),
        ("version", f"@{version.number}" if version else "none yet"),
        ("rows", version.row_count if version else 0)])
    table("Schema", ["column", "type"], [(c.name, c.type) for c in columns])
    if page:
        names = [c.name for c in page.columns if c.name not in ("_hash", "thumbnail")]
        table(f"First {len(page.rows)} rows", names,
              [[short(r.get(n), 40) for n in names] for r in page.rows])


@app.command("rows")
def rows_(
    ref: str, as_json: JsonOpt = False,
    offset: Annotated[int, typer.Option(help="Rows to skip (paging).")] = 0,
    limit: Annotated[int, typer.Option(help="Rows on the page (1-1000).")] = 20,
    sort: Annotated[str | None, typer.Option(help="Column to order by.")] = None,
    desc: Annotated[bool, typer.Option("--desc", help="Sort high to low.")] = False,
    where: Annotated[str | None, typer.Option(
        help="One SQL condition rows must meet, e.g. \"score > 0.5\".")] = None,
    column: Annotated[list[str] | None, typer.Option(
        "--column", "-c", help="Show only this column (repeat for more).")] = None,
) -> None:
    """A page of rows of a version (NAME or NAME@N), sorted and filtered on the server."""
    s = state(as_json)
    page = s.client().datasets.rows(ref, offset=offset, limit=limit, columns=column,
                                    sort=sort, descending=desc, where=where)
    if s.json:
        return print_json(page)
    names = [c.name for c in page.columns if c.name not in ("_hash", "thumbnail")]
    last = page.offset + len(page.rows)
    title = f"{page.dataset}@{page.version}: rows {page.offset + 1}-{last} of {page.total}"
    table(escape(title), names, [[escape(short(r.get(n), 40)) for n in names]
                                 for r in page.rows])


@app.command()
def versions(name: str, as_json: JsonOpt = False) -> None:
    """List the versions of a dataset, newest first."""
    s = state(as_json)
    items = s.client().datasets.versions(name)
    if s.json:
        return print_json(items)
    table(f"{name} versions", ["version", "operation", "rows", "when", "by", "message"], [
        (f"@{v.number}", v.operation, v.row_count, v.created_at, v.created_by,
         short(v.message, 50)) for v in items])


@app.command()
def diff(name: str, from_version: str, to_version: Annotated[str, typer.Argument()] = "latest",
         as_json: JsonOpt = False, limit: int = 20) -> None:
    """Rows added, removed and changed between two versions."""
    s = state(as_json)
    result = s.client().datasets.diff(name, from_version, to_version, limit=limit)
    if s.json:
        return print_json(result)
    _print_diff(result)


def _print_diff(d: DiffResult) -> None:
    out.print(f"{d.dataset} @{d.from_version} → @{d.to_version}: [green]+{d.added}[/] "
              f"[red]-{d.removed}[/] [yellow]~{d.changed}[/]")
    if d.columns_added or d.columns_removed:
        out.print(f"columns added: {d.columns_added}  removed: {d.columns_removed}")
    table(None, ["change", "key", "before", "after"], [
        (r.change, short(r.key, 40), short(r.before, 50) if r.before else "",
         short(r.after, 50) if r.after else "") for r in d.rows])


@app.command()
def restore(name: str, version: int, as_json: JsonOpt = False) -> None:
    """Commit a new version with the content of an older one."""
    s = state(as_json)
    _print_version(s.client().datasets.restore(name, version), s.json)


def _print_version(v: VersionInfo | None, as_json: bool) -> None:
    if as_json:
        return print_json(v)
    if v is None:
        out.print("nothing changed; no version committed")
    else:
        out.print(f"committed {v.dataset}@{v.number} ({v.operation}, {v.row_count} rows)")


@app.command()
def create(name: str, as_json: JsonOpt = False,
           kind: Annotated[DatasetKind, typer.Option()] = DatasetKind.TABLE,
           description: str = "", key: Annotated[str | None, typer.Option(
               help="Column that identifies rows; appends then update by key.")] = None) -> None:
    """Create an empty dataset."""
    s = state(as_json)
    info = s.client().datasets.create(name, kind=kind, description=description, key_column=key)
    print_json(info) if s.json else out.print(f"created {info.name}")


@app.command()
def delete(name: str, as_json: JsonOpt = False,
           yes: Annotated[bool, typer.Option("--yes", help="Do not ask.")] = False) -> None:
    """Delete a dataset and all its versions."""
    s = state(as_json)
    if not yes and not s.json:
        typer.confirm(f"Delete {name} and all its versions?", abort=True)
    s.client().datasets.delete(name)
    print_json({"deleted": name}) if s.json else out.print(f"deleted {name}")


@app.command("delete-rows")
def delete_rows(name: str, where: str, as_json: JsonOpt = False) -> None:
    """Commit a version without the rows matching a SQL predicate."""
    s = state(as_json)
    _print_version(s.client().datasets.delete_rows(name, where), s.json)


@app.command()
def append(name: str, file: Path, as_json: JsonOpt = False,
           idempotency_key: Annotated[str | None, typer.Option()] = None,
           key: Annotated[str | None, typer.Option(help="Key column (new datasets).")] = None,
           ) -> None:
    """Append rows from a JSON lines file as one version."""
    s = state(as_json)
    rows = [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    result = s.client().datasets.append(name, rows, idempotency_key=idempotency_key,
                                        key_column=key)
    if s.json:
        return print_json(result)
    note = " (duplicate batch: already stored)" if result.duplicate else ""
    out.print(f"{name}@{result.version}: {result.rows} rows{note}")


@app.command()
def checkout(ref: str, output: Annotated[Path, typer.Option("-o", "--output")],
             fmt: Annotated[str, typer.Option("--format")] = "parquet",
             as_json: JsonOpt = False) -> None:
    """Check out a version (NAME@N) into a local file; the same as `export`."""
    export(ref, output, fmt, as_json)


@app.command()
def export(ref: str, output: Annotated[Path, typer.Option("-o", "--output")],
           fmt: Annotated[str, typer.Option("--format")] = "parquet",
           as_json: JsonOpt = False) -> None:
    """Write a version to a file (parquet, csv, jsonl, json, arrow)."""
    s = state(as_json)
    data = s.client().datasets.export(ref, fmt)
    output.write_bytes(data)
    if s.json:
        return print_json({"ref": ref, "path": str(output), "bytes": len(data)})
    out.print(f"wrote {len(data)} bytes to {output}")


def add_commands(root: typer.Typer) -> None:
    root.add_typer(app, name="datasets",
                   help="List, inspect, diff and restore datasets.")
