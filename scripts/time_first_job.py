"""Time to first job in a fresh worker process: what a process-pool worker does when it
starts (import, build the platform) and then runs one job (a quality report on a small
dataset). Prints the median of five fresh processes as JSON.

    .venv/bin/python scripts/time_first_job.py
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import time
t0 = time.perf_counter()
from sluice.workers.executors import _init_worker, _run_in_worker
from sluice.settings import load_settings
settings = load_settings(env={{}}, home={home!r}, executor="thread")
_init_worker(settings)
t1 = time.perf_counter()
state = _run_in_worker({job!r})
t2 = time.perf_counter()
import sys, json
print(json.dumps({{"ready": t1 - t0, "job": t2 - t1, "state": state,
                   "modules": len([m for m in sys.modules if m.startswith("sluice")])}}))
"""


def queued_job(home: Path) -> str:
    from sluice.core.jobs.models import JobState
    from sluice.ids import new_id, utcnow
    from sluice.platform import Platform
    from sluice.settings import load_settings
    from sluice.storage.metadata.schema import JobRow

    platform = Platform.open(load_settings(env={}, home=home, executor="thread"))
    try:
        ctx = platform.local_context()
        if not platform.datasets.list(ctx):
            platform.appends.append(ctx, "people", [{"id": i, "email": f"u{i}@example.com"}
                                                    for i in range(200)])
        job_id = new_id()
        with platform.db.session() as s:
            s.add(JobRow(id=job_id, project_id=ctx.project_id, kind="quality.report",
                         params={"dataset": "people", "version": 1}, state=JobState.QUEUED,
                         created_at=utcnow(), created_by="bench", message="queued"))
        return job_id
    finally:
        platform.close()


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="sluice-first-job-")) / "home"
    runs = []
    for _ in range(5):
        job = queued_job(home)
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", CHILD.format(home=str(home), job=job)],
                             capture_output=True, text=True, check=True)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        result["process"] = time.perf_counter() - start
        runs.append(result)
    summary = {key: round(statistics.median(r[key] for r in runs), 3)
               for key in ("process", "ready", "job", "modules")}
    summary["state"] = runs[-1]["state"]
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
