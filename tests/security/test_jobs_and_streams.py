"""Long-running consumers cannot starve other jobs or reach hosts they were not allowed;
their credentials are never shown; labeling functions run as a bounded job."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from sluice.core.jobs.models import JobState
from sluice.errors import Conflict, Forbidden, InvalidInput


@pytest.fixture
def consumers(make_settings: Any) -> Any:
    from tests.conftest import _open

    yield from _open(make_settings(workers=2, stream_workers=2))


def _redis_or_skip() -> None:
    import redis

    from tests.conftest import IN_CI

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0").ping()
    except redis.RedisError as exc:
        if IN_CI:
            pytest.fail(f"Redis is required under CI: {exc}")
        pytest.skip("no Redis at 127.0.0.1:6379")


def test_two_consumers_leave_the_job_slots_free(consumers: Any) -> None:
    _redis_or_skip()
    ctx = consumers.local_context()
    names = [f"sec-{uuid.uuid4().hex}" for _ in range(2)]
    streams = [consumers.streams.consume_redis(ctx, f"s{i}", stream=name)
               for i, name in enumerate(names)]
    try:
        consumers.appends.append(ctx, "t", [{"a": 1}, {"a": 2}])
        report = consumers.quality.run(ctx, "t")
        final = consumers.jobs.wait(ctx, report.id, timeout=60)
        assert final.state == JobState.SUCCEEDED
        with pytest.raises(Conflict) as full:
            consumers.streams.consume_redis(ctx, "s3", stream="third")
        assert full.value.code == "too_many_consumers"
    finally:
        for job in streams:
            consumers.jobs.cancel(ctx, job.id)
        for job in streams:
            consumers.jobs.wait(ctx, job.id, timeout=30)
        _drop_streams(names)


def _drop_streams(names: list[str]) -> None:
    import redis

    redis.Redis.from_url("redis://127.0.0.1:6379/0").delete(*names)


@pytest.mark.parametrize("url", ["redis://10.0.0.1:6379/0", "redis://127.0.0.1:22/0",
                                 "redis://metadata.internal/0", "unix:///var/run/docker.sock"])
def test_consumers_reach_only_allowed_hosts(platform: Any, ctx: Any, url: str) -> None:
    started = time.monotonic()
    with pytest.raises(Forbidden) as refused:
        platform.streams.consume_redis(ctx, "x", url=url, stream="s")
    assert refused.value.code == "host_not_allowed"
    assert time.monotonic() - started < 1  # refused before any connection
    assert platform.jobs.list(ctx) == []


def test_a_consumer_url_must_be_redis(platform: Any, ctx: Any) -> None:
    with pytest.raises(InvalidInput):
        platform.streams.consume_redis(ctx, "x", url="http://127.0.0.1:6379/", stream="s")


def test_a_password_in_the_url_is_never_shown(as_role: Any) -> None:
    editor = as_role("editor")
    made = editor.post("/api/v1/streams/redis", json={
        "dataset": "ev", "stream": f"sec-{uuid.uuid4().hex}", "stop_after_idle": 0.2,
        "url": "redis://user:hunter2@127.0.0.1:6379/0"})
    assert made.status_code == 202
    assert made.json()["params"]["url"] == "redis://user@127.0.0.1:6379/0"
    listed = as_role("viewer").get("/api/v1/jobs").json()
    page = as_role("viewer").get("/streams.json").json()
    assert "hunter2" not in json.dumps(listed) + json.dumps(page)
    assert "hunter2" not in as_role("viewer").get(f"/jobs/{made.json()['id']}").text


def _spam_schema(platform: Any, ctx: Any, rows: int) -> None:
    texts = [("a" * 40 + "!") if i % 2 else f"buy now {i}" for i in range(rows)]
    platform.appends.append(ctx, "msgs", [{"text": t} for t in texts])
    platform.labels.create_schema(ctx, "msgs", "spam", ["ham", "spam"])


def test_apply_is_a_job_with_a_total_budget(make_settings: Any) -> None:
    from tests.conftest import _open

    for platform in _open(make_settings(lf_apply_seconds=1.5)):
        ctx = platform.local_context()
        _spam_schema(platform, ctx, 400)
        functions = platform.labels.functions
        functions.create(ctx, "msgs", "spam", "slow", "regex", label="spam",
                         config={"pattern": "(a|aa)+$"})  # catastrophic on "aaa...!"
        functions.create(ctx, "msgs", "spam", "kw", "keyword", label="spam",
                         config={"keywords": ["buy"]})
        started = time.monotonic()
        job = functions.start_apply(ctx, "msgs", "spam")
        assert time.monotonic() - started < 5  # the request only queues the job
        final = platform.jobs.wait(ctx, job.id, timeout=60)
        assert time.monotonic() - started < 15
        assert final.state == JobState.SUCCEEDED
        applied = {f.name: f.applied for f in functions.list(ctx, "msgs", "spam")}
        assert "apply_budget_exhausted" in applied["slow"]["error"]
        assert "apply_budget_exhausted" in applied["kw"]["error"] or applied["kw"]["votes"]
        assert final.result["failed"]["slow"].startswith("apply_budget_exhausted")


def test_apply_over_rest_answers_at_once_with_the_job(as_role: Any, platform: Any,
                                                      ctx: Any) -> None:
    _spam_schema(platform, ctx, 10)
    platform.labels.functions.create(ctx, "msgs", "spam", "kw", "keyword", label="spam",
                                     config={"keywords": ["buy"]})
    response = as_role("editor").post("/api/v1/datasets/msgs/labels/spam/apply", json={})
    assert response.status_code == 202 and response.json()["kind"] == "labels.apply"
    final = platform.jobs.wait(ctx, response.json()["id"], timeout=60)
    assert final.state == JobState.SUCCEEDED and final.result["applied"] == ["kw"]
    viewer = as_role("viewer").post("/api/v1/datasets/msgs/labels/spam/apply", json={})
    assert viewer.status_code == 403


@pytest.mark.parametrize("predicate", ["1=1) OR (1=1", "1=1; SELECT 1", "1=1 UNION SELECT 1"])
def test_a_sql_predicate_must_be_one_expression(platform: Any, ctx: Any,
                                                predicate: str) -> None:
    _spam_schema(platform, ctx, 4)
    with pytest.raises(InvalidInput) as bad:
        platform.labels.functions.create(ctx, "msgs", "spam", "inj", "sql", label="spam",
                                         config={"predicate": predicate})
    assert bad.value.code == "invalid_lf_config"


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/0?port=22",
                                 "redis://127.0.0.1:6379/0?password=x",
                                 "redis://127.0.0.1:6379/0?host=10.0.0.1"])
def test_query_arguments_cannot_steer_the_connection(platform: Any, ctx: Any,
                                                     url: str) -> None:
    with pytest.raises(InvalidInput) as bad:
        platform.streams.consume_redis(ctx, "x", url=url, stream="s")
    assert bad.value.code == "invalid_url"
