"""SIGKILL a writer at random points, many times: the dataset always stays at its last
good version, nothing partial is ever visible, and a re-run completes."""

import os
import random
import signal
import subprocess
import sys
import time

import pytest

from sluice.core.jobs.models import JobState
from sluice.platform import Platform
from sluice.settings import load_settings

APPENDER = """
import sys
from sluice.platform import Platform
from sluice.settings import load_settings
p = Platform.open(load_settings(env={{}}, home={home!r}, executor="thread"))
ctx = p.local_context()
print("ready", flush=True)
for i in range(10_000):
    p.appends.append(ctx, "events", [{{"batch": i, "n": j, "pad": "x" * 200}} for j in range(50)])
"""

INGESTER = """
from sluice.core.ingest.service import IngestRequest
from sluice.platform import Platform
from sluice.settings import load_settings
p = Platform.open(load_settings(env={{}}, home={home!r}, executor="thread"))
ctx = p.local_context()
print("ready", flush=True)
job = p.ingest.submit(ctx, IngestRequest(dataset="docs", paths=[{folder!r}]))
p.jobs.wait(ctx, job.id)
"""


def _spawn(code: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    return proc


def _check_consistent(home, name: str) -> list[int]:
    """Every recorded version reads back with exactly its recorded row count."""
    platform = Platform.open(load_settings(env={}, home=home, executor="thread"))
    try:
        ctx = platform.local_context()
        try:
            versions = platform.datasets.versions(ctx, name)
        except Exception:
            return []
        numbers = sorted(v.number for v in versions)
        assert numbers == list(range(1, len(numbers) + 1))
        for v in versions:
            table = platform.datasets.to_arrow(ctx, f"{name}@{v.number}")
            assert table.num_rows == v.row_count
        return [v.row_count for v in sorted(versions, key=lambda v: v.number)]
    finally:
        platform.close()


@pytest.mark.slow
def test_kill_appender_many_times(tmp_path):
    home = tmp_path / "home"
    Platform.open(load_settings(env={}, home=home)).close()
    rng = random.Random(42)
    for _ in range(8):
        proc = _spawn(APPENDER.format(home=str(home)))
        time.sleep(rng.uniform(0.05, 1.2))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        counts = _check_consistent(home, "events")
        assert all(c % 50 == 0 for c in counts)  # whole batches only
        assert counts == sorted(counts)
    platform = Platform.open(load_settings(env={}, home=home, executor="thread"))
    try:
        ctx = platform.local_context()
        before = platform.datasets.version(ctx, "events").row_count
        result = platform.appends.append(ctx, "events", [{"batch": -1, "n": 0, "pad": ""}])
        after = platform.datasets.version(ctx, f"events@{result.version}")
        assert after.row_count == before + 1  # orphaned Lance commits were rolled back
    finally:
        platform.close()


@pytest.mark.slow
def test_kill_ingest_mid_run_then_rerun_completes(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    for i in range(60):
        (folder / f"doc{i:03d}.md").write_text(f"# Doc {i}\n\n" + "words " * 2000)
    home = tmp_path / "home"
    Platform.open(load_settings(env={}, home=home)).close()
    rng = random.Random(7)
    for _ in range(6):
        proc = _spawn(INGESTER.format(home=str(home), folder=str(folder)))
        time.sleep(rng.uniform(0.2, 3.0))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        counts = _check_consistent(home, "docs")
        assert set(counts) <= {60}  # a version holds the whole folder or does not exist
    platform = Platform.open(load_settings(env={}, home=home, executor="thread",
                                           job_stale_seconds=1.0))
    try:
        ctx = platform.local_context()
        time.sleep(1.5)
        stuck = platform.jobs.list(ctx, state=JobState.RUNNING)
        assert stuck == []  # killed runs are reaped, not left running
        from sluice.core.ingest.service import IngestRequest

        job = platform.ingest.submit(ctx, IngestRequest(dataset="docs", paths=[str(folder)]))
        final = platform.jobs.wait(ctx, job.id, timeout=300)
        assert final.state == JobState.SUCCEEDED, final.error
        assert platform.datasets.version(ctx, "docs").row_count == 60
    finally:
        platform.close()


@pytest.mark.slow
def test_killed_worker_process_fails_the_job(make_settings, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    for i in range(200):
        (folder / f"doc{i:03d}.md").write_text(f"# Doc {i}\n\n" + "words " * 5000)
    platform = Platform.open(make_settings(executor="process", workers=1), server=True)
    try:
        ctx = platform.local_context()
        from sluice.core.ingest.service import IngestRequest

        job = platform.ingest.submit(ctx, IngestRequest(dataset="docs", paths=[str(folder)]))
        deadline = time.monotonic() + 60
        while platform.jobs.get(ctx, job.id).state != JobState.RUNNING:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        worker_pid = int(platform.jobs.get(ctx, job.id).worker.rsplit(":", 1)[1])
        time.sleep(0.3)
        os.kill(worker_pid, signal.SIGKILL)
        final = platform.jobs.wait(ctx, job.id, timeout=60)
        assert final.state == JobState.FAILED
        assert final.error["code"] == "worker_died"
        again = platform.ingest.submit(ctx, IngestRequest(dataset="docs", paths=[str(folder)]))
        assert platform.jobs.wait(ctx, again.id, timeout=300).state == JobState.SUCCEEDED
        assert platform.datasets.version(ctx, "docs").row_count == 200
    finally:
        platform.close()
