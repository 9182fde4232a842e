"""Waiting for a job with a progress bar (or silently with --json)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from sluice.cli.output import err
from sluice.core.jobs import JobInfo, JobState
from sluice.errors import Cancelled, SluiceError, error_from_payload
from sluice.sdk.api import Client


def follow(client: Client, job: JobInfo, *, as_json: bool, label: str) -> JobInfo:
    """Wait for ``job``; Ctrl-C asks it to cancel. Raises the job's error if it failed."""
    try:
        final = _wait(client, job, as_json=as_json, label=label)
    except KeyboardInterrupt:
        err.print("cancelling…")
        client.jobs.cancel(job.id)
        final = client.jobs.wait(job.id, timeout=60)
    raise_if_failed(final)
    return final


def _wait(client: Client, job: JobInfo, *, as_json: bool, label: str) -> JobInfo:
    if as_json:
        return client.jobs.wait(job.id)
    with progress_bar(label) as update:
        final = client.jobs.wait(job.id, on_progress=update)
        if final.state == JobState.SUCCEEDED:
            update(final.model_copy(update={
                "progress_done": final.progress_total or 1,
                "progress_total": final.progress_total or 1}))
    return final


@contextmanager
def progress_bar(label: str, *, quiet: bool = False) -> Iterator[Callable[[JobInfo], None]]:
    """A Rich progress bar on stderr fed with job updates (nothing when ``quiet``)."""
    if quiet:
        yield lambda info: None
        return
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), TaskProgressColumn(),
               TimeElapsedColumn(), TextColumn("{task.fields[message]}"))
    with Progress(*columns, console=err, transient=False) as progress:
        task = progress.add_task(label, total=None, message="")

        def update(info: JobInfo) -> None:
            progress.update(task, completed=info.progress_done, total=info.progress_total,
                            message=info.message[:60])

        yield update


def raise_if_failed(job: JobInfo) -> None:
    if job.state == JobState.FAILED:
        raise error_from_payload({"error": job.error or {}}, 500) if job.error else SluiceError(
            f"job {job.id} failed: {job.message}")
    if job.state == JobState.CANCELLED:
        raise Cancelled(f"job {job.id} was cancelled", code="job_cancelled")


@contextmanager
def count_bar(label: str, total: int, *, quiet: bool = False) -> Iterator[Callable[[int], None]]:
    """A progress bar over ``total`` items; the callback takes how many are done."""
    if quiet:
        yield lambda done: None
        return
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), TaskProgressColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=err, transient=False) as progress:
        task = progress.add_task(label, total=total)
        yield lambda done: progress.update(task, completed=done)
