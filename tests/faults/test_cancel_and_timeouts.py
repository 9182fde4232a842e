"""Cancelling a running job leaves no version; a parser past its time limit is stopped."""

import shutil
import time

from sluice.core.ingest.service import IngestRequest
from sluice.core.jobs.models import JobState
from tests.conftest import shared_data


def test_cancel_a_running_ingest(platform, ctx, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    for i in range(200):
        (folder / f"d{i:03d}.md").write_text(f"# Doc {i}\n\n" + "text " * 3000)
    # a 619-page PDF keeps the job busy for seconds after the cancel request
    shutil.copy(shared_data("unstructured_example_docs/example-docs/pdf/DA-619p.pdf"),
                folder / "a-big.pdf")
    job = platform.ingest.submit(ctx, IngestRequest(dataset="docs", paths=[str(folder)]))
    deadline = time.monotonic() + 60
    while platform.jobs.get(ctx, job.id).state != JobState.RUNNING:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    platform.jobs.cancel(ctx, job.id)
    final = platform.jobs.wait(ctx, job.id, timeout=60)
    assert final.state == JobState.CANCELLED
    assert final.error["code"] == "job_cancelled"
    assert platform.datasets.list(ctx) == []


def test_cancel_a_queued_job_at_once(platform, ctx):
    platform.appends.append(ctx, "t", [{"a": 1}])
    job = platform.jobs.submit(ctx, "quality.report", {"dataset": "t", "version": 1})
    cancelled = platform.jobs.cancel(ctx, job.id)
    assert cancelled.cancel_requested
    final = platform.jobs.wait(ctx, job.id, timeout=30)
    assert final.state in (JobState.CANCELLED, JobState.SUCCEEDED)


def test_slow_file_times_out_and_the_rest_lands(make_settings, tmp_path):
    from sluice.platform import Platform

    big_pdf = shared_data("unstructured_example_docs/example-docs/pdf/DA-619p.pdf")
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(big_pdf, folder / "big.pdf")
    (folder / "small.md").write_text("# Small\n")
    # PDFium reads the 619 pages in 0.8-3 s on this machine; markdown takes milliseconds.
    platform = Platform.open(make_settings(parse_timeout_seconds=0.2))
    try:
        ctx = platform.local_context()
        job = platform.ingest.submit(ctx, IngestRequest(dataset="d", paths=[str(folder)]))
        final = platform.jobs.wait(ctx, job.id, timeout=120)
        assert final.state == JobState.SUCCEEDED
        rows = {r["name"]: r for r in platform.sql.query(
            ctx, "SELECT name, status, error_code FROM d").rows()}
        assert rows["big.pdf"]["error_code"] == "parse_timeout"
        assert rows["small.md"]["status"] == "ok"
    finally:
        platform.close()
