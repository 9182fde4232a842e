"""``sluice ingest PATH... --dataset NAME``"""

from __future__ import annotations

from typing import Annotated

import typer

from sluice.cli.main import JsonOpt, state
from sluice.cli.output import kv, print_json
from sluice.cli.progress import follow


def ingest(
    paths: Annotated[list[str], typer.Argument(help="Files and folders.")],
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="Target dataset.")],
    as_json: JsonOpt = False,
    mode: Annotated[str, typer.Option(help="auto, documents or table.")] = "auto",
    include: Annotated[list[str] | None, typer.Option(help="Glob to include (repeat).")] = None,
    exclude: Annotated[list[str] | None, typer.Option(help="Glob to exclude (repeat).")] = None,
    recursive: Annotated[bool, typer.Option(help="Descend into sub-folders.")] = True,
    key: Annotated[str | None, typer.Option(help="Key column for table files.")] = None,
    wait: Annotated[bool, typer.Option(help="Wait for the job to finish.")] = True,
) -> None:
    """Ingest files and folders into a dataset (one new version; unchanged input commits
    nothing)."""
    s = state(as_json)
    client = s.client()
    job = client.ingest(paths, dataset, mode=mode, include=include or (),
                        exclude=exclude or (), recursive=recursive, key_column=key, wait=False)
    if wait:
        job = follow(client, job, as_json=s.json, label=f"ingest → {dataset}")
    if s.json:
        return print_json(job)
    result = job.result or {}
    kv([("job", job.id), ("state", job.state), ("result", result.get("message", job.message)),
        ("version", result.get("version"))])
    for failure in (result.get("error_files") or [])[:20]:
        kv([(failure["code"], failure["uri"])])


def add_commands(app: typer.Typer) -> None:
    app.command()(ingest)
