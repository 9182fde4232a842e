"""Redis Streams into a dataset, against the local Redis server."""

import json
import time
import uuid

import pytest
import redis

from sluice.core.jobs.models import JobState
from tests.conftest import IN_CI


@pytest.fixture
def r():
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        client.ping()
    except redis.RedisError as exc:
        if IN_CI:
            pytest.fail(f"Redis is required under CI: {exc}")
        pytest.skip("no Redis at 127.0.0.1:6379")
    yield client
    client.close()


def wait_for_rows(platform, ctx, name, n, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if platform.datasets.version(ctx, name).row_count >= n:
                return
        except Exception:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{name} did not reach {n} rows")


def test_messages_become_versions_within_seconds(platform, ctx, r):
    stream = f"events-{uuid.uuid4().hex[:8]}"
    job = platform.streams.consume_redis(ctx, "events", stream=stream, batch_rows=100,
                                         batch_seconds=0.3)
    try:
        started = time.monotonic()
        for i in range(25):
            r.xadd(stream, {"json": json.dumps({"user": f"u{i}", "n": i})})
        r.xadd(stream, {"user": "plain", "n": "99"})
        r.xadd(stream, {"json": "{not json"})
        wait_for_rows(platform, ctx, "events", 26)
        assert time.monotonic() - started < 10
        rows = platform.sql.query(ctx, "SELECT count(*) AS n, max(_source) AS s FROM events")
        assert rows.rows() == [{"n": 26, "s": f"redis:{stream}"}]
        dead = r.xrange(f"{stream}:dead")
        assert len(dead) == 1 and b"reason" in dead[0][1]
        pending = r.xpending(stream, "sluice")
        assert pending["pending"] == 0
    finally:
        platform.jobs.cancel(ctx, job.id)
        final = platform.jobs.wait(ctx, job.id, timeout=30)
    assert final.state in (JobState.SUCCEEDED, JobState.CANCELLED)
    r.delete(stream, f"{stream}:dead")


def test_redelivered_messages_are_stored_once(platform, ctx, r):
    """A consumer that died after committing but before acknowledging is replayed."""
    stream = f"replay-{uuid.uuid4().hex[:8]}"
    r.xgroup_create(stream, "sluice", id="0", mkstream=True)
    ids = [r.xadd(stream, {"json": json.dumps({"i": i})}) for i in range(5)]
    # a crashed consumer read the messages and committed them, but never acknowledged
    r.xreadgroup("sluice", "dead-consumer", {stream: ">"}, count=10)
    platform.appends.append(ctx, "replay", [{"i": i} for i in range(5)],
                            row_keys=[f"{stream}:{m.decode()}" for m in ids])
    job = platform.streams.consume_redis(ctx, "replay", stream=stream, batch_seconds=0.2,
                                         stop_after_idle=1.0)
    final = platform.jobs.wait(ctx, job.id, timeout=30)
    assert final.state == JobState.SUCCEEDED, final.error
    assert platform.datasets.version(ctx, "replay").row_count == 5
    assert r.xpending(stream, "sluice")["pending"] == 0
    r.delete(stream)


def test_bad_redis_url_fails_the_job_clearly(make_settings):
    from tests.conftest import _open

    for platform in _open(make_settings(stream_hosts=["127.0.0.1:1"])):
        ctx = platform.local_context()
        job = platform.streams.consume_redis(ctx, "x", url="redis://:hunter2@127.0.0.1:1/0",
                                             stream="s", stop_after_idle=0.5)
        assert job.params["url"] == "redis://127.0.0.1:1/0"  # no password in what is shown
        final = platform.jobs.wait(ctx, job.id, timeout=30)
        assert final.state == JobState.FAILED
        assert final.error["code"] == "redis_unavailable"
        assert "hunter2" not in json.dumps(final.model_dump(mode="json"))
