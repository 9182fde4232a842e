"""Concurrent writers to one dataset: every batch lands once, versions stay contiguous."""

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

WRITER = """
from sluice.platform import Platform
from sluice.settings import load_settings
p = Platform.open(load_settings(env={{}}, home={home!r}, executor="thread"))
ctx = p.local_context()
for i in range(10):
    key = "w{w}-{{}}".format(i)
    p.appends.append(ctx, "shared", [{{"writer": {w}, "i": i}}], idempotency_key=key)
p.close()
"""


def test_threads_appending_concurrently(db_platform):
    ctx = db_platform.local_context()

    def write(w):
        for i in range(8):
            db_platform.appends.append(ctx, "shared", [{"writer": w, "i": i}],
                                       idempotency_key=f"{w}-{i}")
            db_platform.appends.append(ctx, "shared", [{"writer": w, "i": i}],
                                       idempotency_key=f"{w}-{i}")  # a retry

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write, range(4)))
    versions = db_platform.datasets.versions(ctx, "shared")
    assert sorted(v.number for v in versions) == list(range(1, 33))
    assert versions[0].row_count == 32
    rows = db_platform.sql.query(ctx, "SELECT count(DISTINCT (writer, i)) AS n FROM shared")
    assert rows.rows() == [{"n": 32}]


@pytest.mark.slow
def test_processes_appending_concurrently(platform):
    home = str(platform.settings.home)
    procs = [subprocess.Popen([sys.executable, "-c", WRITER.format(home=home, w=w)])
             for w in range(3)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    ctx = platform.local_context()
    assert platform.datasets.version(ctx, "shared").row_count == 30
    assert len(platform.datasets.versions(ctx, "shared")) == 30
