"""Blobs and Lance tables on S3 (SeaweedFS), with metadata on SQLite and on PostgreSQL."""

import secrets

import pytest

from sluice.core.ingest.service import IngestRequest
from sluice.core.jobs.models import JobState
from sluice.platform import Platform

pytestmark = pytest.mark.s3


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def s3_platform(request, s3_server, make_settings):
    prefix = secrets.token_hex(4)
    extra = {}
    if request.param == "postgresql":
        extra["database_url"] = request.getfixturevalue("pg_url")
    settings = make_settings(
        storage_url=f"s3://{s3_server['bucket']}/{prefix}",
        s3_endpoint_url=s3_server["endpoint"], s3_access_key_id=s3_server["key"],
        s3_secret_access_key=s3_server["secret"], **extra)
    platform = Platform.open(settings)
    platform.bootstrap()
    yield platform
    platform.close()


def test_blobs_round_trip_on_s3(s3_platform):
    blobs = s3_platform.blobs
    digest = blobs.put_bytes(b"hello s3")
    assert blobs.exists(digest) and blobs.read(digest) == b"hello s3"
    assert blobs.local_path(digest) is None
    assert blobs.put_bytes(b"hello s3") == digest


def test_datasets_sql_and_versions_on_s3(s3_platform, tmp_path):
    p = s3_platform
    ctx = p.local_context()
    p.appends.append(ctx, "events", [{"i": i} for i in range(10)])
    p.appends.append(ctx, "events", [{"i": 10}])
    assert p.sql.query(ctx, 'SELECT count(*) AS n FROM "events@1"').rows() == [{"n": 10}]
    assert p.datasets.restore(ctx, "events", 1).row_count == 10
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.md").write_text("# A\n")
    (folder / "b.txt").write_text("bee\n")
    job = p.ingest.submit(ctx, IngestRequest(dataset="docs", paths=[str(folder)]))
    assert p.jobs.wait(ctx, job.id, timeout=120).state == JobState.SUCCEEDED
    rows = p.sql.query(ctx, "SELECT name, content_hash FROM docs ORDER BY name").rows()
    assert [r["name"] for r in rows] == ["a.md", "b.txt"]
    assert all(p.blobs.exists(r["content_hash"]) for r in rows)
    (folder / "a.md").write_text("# A changed\n")
    job = p.ingest.submit(ctx, IngestRequest(dataset="docs", paths=[str(folder)]))
    result = p.jobs.wait(ctx, job.id, timeout=120).result
    assert (result["changed"], result["unchanged"]) == (1, 1)
    quality = p.quality.run(ctx, "docs")
    assert p.jobs.wait(ctx, quality.id, timeout=120).state == JobState.SUCCEEDED


def test_views_indexes_and_search_on_s3(s3_platform):
    p = s3_platform
    ctx = p.local_context()
    p.appends.append(ctx, "notes", [
        {"title": "tea", "text": "Green tea is steeped at 80 degrees for two minutes."},
        {"title": "lava", "text": "Basalt forms when lava from a volcano cools."}],
        key_column="title")
    p.views.create(ctx, "notes_chunks", "notes", chunk_size=32, chunk_overlap=0, sync=False)
    job = p.jobs.wait(ctx, p.views.sync(ctx, "notes_chunks").id)
    assert job.state == JobState.SUCCEEDED, job.error
    for mode in ("text", "vector", "hybrid"):
        hits = p.search.search(ctx, "notes_chunks", "steeping green tea", mode=mode, k=1).hits
        assert hits[0].parent_key == "tea", mode
    p.appends.append(ctx, "notes", [{"title": "sail", "text": "Tack through the wind."}],
                     key_column="title")
    for job in p.jobs.list(ctx, kind="views.sync"):
        p.jobs.wait(ctx, job.id)
    assert p.views.get(ctx, "notes_chunks").chunks == 3
    assert p.search.search(ctx, "notes_chunks", "tack", mode="text").hits[0].parent_key == "sail"
