"""``sluice streams ...``"""

from __future__ import annotations

from typing import Annotated

import typer

from sluice.cli.main import JsonOpt, state
from sluice.cli.output import kv, print_json
from sluice.cli.progress import follow

app = typer.Typer(no_args_is_help=True)


@app.command()
def redis(
    dataset: Annotated[str, typer.Option("--dataset", "-d")],
    stream: Annotated[str, typer.Option(help="Redis stream key.")],
    as_json: JsonOpt = False,
    url: str = "redis://127.0.0.1:6379/0", group: str = "sluice",
    batch_rows: int = 500, batch_seconds: float = 1.0,
    key: Annotated[str | None, typer.Option(help="Key column (new datasets).")] = None,
    stop_after_idle: Annotated[float | None, typer.Option(
        help="Stop after this many seconds without messages.")] = None,
    follow_job: Annotated[bool, typer.Option("--follow/--detach",
                                             help="Stay attached (Ctrl-C stops).")] = True,
) -> None:
    """Commit micro-batches from a Redis stream into a dataset (a long-running job)."""
    s = state(as_json)
    client = s.client()
    job = client.streams.consume_redis(dataset, stream=stream, url=url, group=group,
                                       batch_rows=batch_rows, batch_seconds=batch_seconds,
                                       key_column=key, stop_after_idle=stop_after_idle)
    if follow_job:
        job = follow(client, job, as_json=s.json, label=f"{stream} → {dataset}")
    if s.json:
        return print_json(job)
    kv([("job", job.id), ("state", job.state), ("message", job.message)])


def add_commands(root: typer.Typer) -> None:
    root.add_typer(app, name="streams",
                   help="Consume streams into datasets.")
