"""``sluice jobs ...``"""

from __future__ import annotations

from typing import Annotated

import typer

from sluice.cli.main import JsonOpt, state
from sluice.cli.output import kv, out, print_json, short, table
from sluice.cli.progress import follow
from sluice.core.jobs import JobState

app = typer.Typer(no_args_is_help=True)


@app.command("list")
def list_(as_json: JsonOpt = False,
          state_: Annotated[JobState | None, typer.Option("--state")] = None,
          kind: str | None = None, limit: int = 20) -> None:
    """Recent jobs, newest first."""
    s = state(as_json)
    jobs = s.client().jobs.list(state=state_, kind=kind, limit=limit)
    if s.json:
        return print_json(jobs)
    table("Jobs", ["id", "kind", "state", "progress", "message", "created"], [
        (j.id, j.kind, j.state,
         f"{100 * j.fraction:.0f}%" if j.fraction is not None else "", short(j.message, 50),
         j.created_at) for j in jobs])


@app.command()
def show(job_id: str, as_json: JsonOpt = False) -> None:
    """One job: state, progress, result or error, and its log."""
    s = state(as_json)
    client = s.client()
    job, logs = client.jobs.get(job_id), client.jobs.logs(job_id)
    if s.json:
        return print_json({"job": job, "logs": logs})
    kv([("id", job.id), ("kind", job.kind), ("state", job.state), ("message", job.message),
        ("progress", f"{job.progress_done:g}/{job.progress_total or '?'}"),
        ("worker", job.worker), ("error", job.error and job.error.get("message")),
        ("result", short(job.result, 200) if job.result else None)])
    for line in logs[-20:]:
        out.print(f"[dim]{line.at:%H:%M:%S}[/] {line.level} {line.message}", highlight=False)


@app.command()
def cancel(job_id: str, as_json: JsonOpt = False) -> None:
    """Ask a job to stop."""
    s = state(as_json)
    job = s.client().jobs.cancel(job_id)
    print_json(job) if s.json else out.print(f"{job.id}: {job.state} (cancel requested)")


@app.command()
def wait(job_id: str, as_json: JsonOpt = False) -> None:
    """Wait for a job, with a progress bar."""
    s = state(as_json)
    client = s.client()
    job = follow(client, client.jobs.get(job_id), as_json=s.json, label=job_id)
    print_json(job) if s.json else out.print(f"{job.id}: {job.state} {job.message}")


def add_commands(root: typer.Typer) -> None:
    root.add_typer(app, name="jobs",
                   help="Watch and cancel long-running work.")
