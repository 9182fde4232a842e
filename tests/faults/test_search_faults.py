"""Search under stress: queries during a sync, two syncs at once, a sync killed mid-way."""

import signal
import threading

from sluice.core.jobs.models import JobState
from sluice.platform import Platform
from sluice.settings import load_settings
from tests.faults.test_kill import _spawn

TOPICS = ["green tea steeping", "basalt lava volcano", "sailing tack wind", "sourdough yeast",
          "python generators", "chess openings", "orbital mechanics", "bee pollination"]


def _rows(start, n):
    return [{"id": i, "text": f"Note {i} is about {TOPICS[i % len(TOPICS)]}. " * 6}
            for i in range(start, start + n)]


def _view_consistent(platform, ctx, name):
    """No chunk twice, and every source row's chunks present."""
    counts = platform.sql.query(ctx, f"SELECT count(*) AS n, count(DISTINCT _key) AS d, "
                                     f"count(DISTINCT parent_key) AS p FROM {name}").rows()[0]
    assert counts["n"] == counts["d"]
    return counts


def test_queries_keep_answering_during_a_sync(platform, ctx):
    platform.appends.append(ctx, "notes", _rows(0, 40), key_column="id")
    platform.views.create(ctx, "notes_chunks", "notes", chunk_size=32, chunk_overlap=0,
                          auto_sync=False, sync=False)
    assert platform.jobs.wait(ctx, platform.views.sync(ctx, "notes_chunks").id).state == \
        JobState.SUCCEEDED
    platform.appends.append(ctx, "notes", _rows(40, 400), key_column="id")
    job = platform.views.sync(ctx, "notes_chunks")
    seen, errors = set(), []

    def query():
        while platform.jobs.get(ctx, job.id).state not in (JobState.SUCCEEDED,
                                                           JobState.FAILED):
            try:
                results = platform.search.search(ctx, "notes_chunks", "volcano", k=3)
                assert results.hits
                seen.add(results.view_version)
            except Exception as exc:  # collected: the assertion below shows it
                errors.append(exc)

    worker = threading.Thread(target=query)
    worker.start()
    worker.join(timeout=300)
    assert errors == [] and 1 in seen
    assert platform.jobs.get(ctx, job.id).state == JobState.SUCCEEDED
    assert platform.search.search(ctx, "notes_chunks", "volcano").view_version == 2
    assert _view_consistent(platform, ctx, "notes_chunks")["p"] == 440


def test_two_syncs_at_once_apply_the_change_once(make_settings):
    platform = Platform.open(make_settings(workers=2))
    try:
        ctx = platform.local_context()
        platform.appends.append(ctx, "notes", _rows(0, 60), key_column="id")
        platform.views.create(ctx, "notes_chunks", "notes", chunk_size=32, chunk_overlap=0,
                              auto_sync=False, sync=False)
        jobs = [platform.views.sync(ctx, "notes_chunks") for _ in range(2)]
        results = [platform.jobs.wait(ctx, j.id) for j in jobs]
        assert all(r.state == JobState.SUCCEEDED for r in results)
        assert sorted(bool(r.result["changed"]) for r in results) == [False, True]
        assert _view_consistent(platform, ctx, "notes_chunks")["p"] == 60
    finally:
        platform.close()


SYNCER = """
from sluice.platform import Platform
from sluice.settings import load_settings
p = Platform.open(load_settings(env={{}}, home={home!r}, executor="thread",
                                embed_batch_size=8))
ctx = p.local_context()
job = p.views.sync(ctx, "notes_chunks")
print("ready", flush=True)
p.jobs.wait(ctx, job.id)
"""


def test_a_killed_sync_leaves_the_view_at_its_last_version(tmp_path):
    home = tmp_path / "home"
    settings = load_settings(env={}, home=home, executor="thread")
    platform = Platform.open(settings)
    ctx = platform.local_context()
    platform.appends.append(ctx, "notes", _rows(0, 20), key_column="id")
    platform.views.create(ctx, "notes_chunks", "notes", chunk_size=32, chunk_overlap=0,
                          auto_sync=False, sync=False)
    platform.jobs.wait(ctx, platform.views.sync(ctx, "notes_chunks").id)
    before = _view_consistent(platform, ctx, "notes_chunks")
    platform.appends.append(ctx, "notes", _rows(20, 600), key_column="id")
    proc = _spawn(SYNCER.format(home=str(home)))
    try:
        deadline = threading.Event()
        while not deadline.wait(0.2):
            jobs = platform.jobs.list(ctx, kind="views.sync", limit=1)
            if jobs and jobs[0].progress_done > 0:
                break
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert _view_consistent(platform, ctx, "notes_chunks") == before
    assert platform.search.search(ctx, "notes_chunks", "volcano").view_version == 1
    job = platform.jobs.wait(ctx, platform.views.sync(ctx, "notes_chunks").id)
    assert job.state == JobState.SUCCEEDED, job.error
    assert _view_consistent(platform, ctx, "notes_chunks")["p"] == 620
    platform.close()
